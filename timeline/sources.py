"""The timeline's sources, one small function each: what one store holds about one device,
newest first, before a moment. The merge of them all is timeline.merge's.

Every source reads PostgreSQL only (the durable status history included), so the timeline
shows all of them while Redis or the control API is down. Each reads the rows of the
organizations the viewer may see (`scope`): a device moved between organizations shows
each viewer the entries recorded while it was in theirs (ASSUMPTION: the organization
of a row is the device's when the row was written).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.timezone import localtime

from accounts import audit, tenancy
from accounts.models import AuditEntry
from alerts.models import Delivery
from campaigns.models import CampaignDevice, Outcome
from controlapi.records import Device
from devices import claims as claim_life
from devices.change_models import ChangedRecord, RecordedChange
from devices.history_models import StatusChange
from devices.models import ActionRecord, ClaimEvent
from devices.note_models import Note
from operations.models import HeadlessRecord
from timeline.entries import Entry, duration_words


@dataclass(frozen=True)
class Reading:
    """What every source is asked: this device's entries before `before` (None: up to
    now), `limit` at most, within the viewer's `scope`."""

    device: Device
    user: object
    scope: tenancy.OrgScope
    before: datetime | None
    limit: int
    now: datetime


def _scoped(rows, scope: tenancy.OrgScope, field: str = "organization_id"):
    return rows if scope.all else rows.filter(**{f"{field}__in": scope.ids})


def _page(rows, reading: Reading, field: str):
    if reading.before is not None:
        rows = rows.filter(**{f"{field}__lt": reading.before})
    return rows.order_by(f"-{field}", "-id")[: reading.limit]


# --- status changes ---------------------------------------------------------------------

SEEN_WORDS = {"full": "a full poll", "incremental": "an incremental poll",
              "refresh": "a refresh of the device"}  # fmt: skip


def status_changes(reading: Reading) -> list[Entry]:
    """Each transition, with how long the state it started lasted: until the next one, or
    until now when it is the newest.

    A transition from a state the history never showed the device entering (a change seen
    outside the polls that was not kept: the previous one ends in another state, or, for
    the first one, in Down) gets a line of its own just before it, saying that a change
    happened unrecorded and between which moments: no state appears from nowhere."""
    device = reading.device
    rows = _scoped(StatusChange.objects.filter(device_id=device.id), reading.scope)
    changes = list(_page(rows, reading, "at"))
    newer = None
    if reading.before is not None:
        newer = rows.filter(at__gte=reading.before).order_by("at", "id").first()
    older = None
    if len(changes) == reading.limit:  # a full page: the change before its last one
        last = changes[-1]
        earlier = Q(at__lt=last.at) | Q(at=last.at, id__lt=last.id)
        older = rows.filter(earlier).order_by("-at", "-id").first()
    # Newest first: the page's changes between their neighbours on the pages around it.
    chain = [c for c in (newer, *changes, older) if c is not None]
    shown = {c.pk for c in changes}
    entries = []
    for i, change in enumerate(chain):
        later = chain[i - 1] if i > 0 else None
        prior = chain[i + 1] if i + 1 < len(chain) else None
        if change.pk in shown:
            entries.append(_status_entry(change, later, reading))
        if change.pk in shown or change is newer:
            gap = _unrecorded_change(change, prior)
            if gap is not None and (reading.before is None or gap.at < reading.before):
                entries.append(gap)
    return entries


def _status_entry(change: StatusChange, later: StatusChange | None, reading: Reading) -> Entry:
    """One recorded transition; `later`: the one recorded after it, if any."""
    if later is not None and later.from_status == change.to_status:
        lasted = f"{change.to_status} for {duration_words(later.at - change.at)}"
    elif later is None and change.to_status == reading.device.status:
        so_far = duration_words(reading.now - change.at)
        lasted = f"Still {change.to_status}, for {so_far} so far"
    else:
        lasted = f"{change.to_status} until a change the history did not record"
    seen = SEEN_WORDS.get(change.seen_by, change.seen_by)
    return Entry(
        kind="status", at=change.at, key=f"status-{change.pk}",
        title=f"{change.from_status} → {change.to_status}",
        detail=f"{lasted} (seen by {seen}).",
        tone="ok" if change.to_status == "Up" else "failed",
    )  # fmt: skip


def _unrecorded_change(change: StatusChange, prior: StatusChange | None) -> Entry | None:
    """The line for the change into `change.from_status` that the history lacks, or None
    when `prior` (the change recorded before it) shows the device entering that state.
    ASSUMPTION: with nothing recorded before it, a device was Up (where devices start and
    mostly stay), so only a first change from Down gets the line."""
    state = change.from_status
    if (prior.to_status if prior is not None else "Up") == state:
        return None
    if prior is None:
        title = f"Went {state}"
        detail = (
            f"When is not recorded: before {_moment(change.at)}. It happened before the "
            "history started or while the device was in another organization, or the "
            "history missed it (seen by a read of the device between polls)."
        )
    else:
        title = f"{prior.to_status} → {state}"
        detail = (
            f"When is not recorded: between {_moment(prior.at)} and {_moment(change.at)}. "
            "The history missed it: it was seen by a read of the device between polls, or "
            "its record was lost."
        )
    return Entry(
        kind="status", at=change.at - UNRECORDED_BEFORE, key=f"status-unrecorded-{change.pk}",
        title=title, when="time not recorded", detail=detail,
        tone="ok" if state == "Up" else "failed",
    )  # fmt: skip


# An unrecorded change is listed just before the recorded one that shows it happened.
UNRECORDED_BEFORE = timedelta(microseconds=1)


def _moment(at: datetime) -> str:
    return f"{localtime(at):%Y-%m-%d %H:%M:%S}"


# --- actions ----------------------------------------------------------------------------

ACTION_TONES = {"sent": "ok", "failed": "failed", "refused": "failed", "unknown": "unknown",
                "already_pending": "pending", "sending": "pending"}  # fmt: skip


def actions(reading: Reading) -> list[Entry]:
    rows = _scoped(ActionRecord.objects.filter(device_id=reading.device.id), reading.scope)
    entries = []
    for record in _page(rows.select_related("user"), reading, "created_at"):
        outcome = record.get_state_display()
        if record.state == ActionRecord.State.FAILED:
            # Without an answer's status the action never left (the device could not be
            # checked first, or the control API not reached).
            status = record.upstream_status
            outcome = "Failed: nothing was sent" if status is None else failure_words(status)
        elif record.follow == ActionRecord.Follow.CONTRADICTED:
            # As the device page says it: answered, but what was asked did not happen.
            outcome = "Answered by the control API; not applied"
        elif record.follow != ActionRecord.Follow.NONE:
            outcome = f"{outcome}; {record.get_follow_display().lower()}"
        parameters = audit.describe_parameters(record.parameters or {})
        entries.append(Entry(
            kind="actions", at=record.created_at, key=f"action-{record.pk}",
            title=record.action_label(), who=record.user.get_username(),
            detail="; ".join(p for p in (parameters, record.message) if p),
            outcome=outcome, tone=ACTION_TONES.get(record.state, ""),
        ))  # fmt: skip
    return entries


# --- edits and maintenance-record changes (devices.field_changes) -----------------------

RESULT_WORDS = {
    AuditEntry.Result.OK: ("Saved", "ok"),
    AuditEntry.Result.UNKNOWN: ("Outcome unknown: the control API did not answer", "unknown"),
}


def failure_words(status: int | None) -> str:
    """A failed write by the control API's answer (the status the audit entry or action
    record keeps): a 4xx refused the request; a 5xx or no answer at all is a failure."""
    if status is None:
        return "Failed: the control API could not be reached"
    if 400 <= status < 500:
        return "Refused by the control API"
    if status >= 500:
        return "Failed: the control API failed on its side"
    return "Failed: the control API answered unexpectedly"


def _changes(reading: Reading, record: str, kind: str, title: str) -> list[Entry]:
    rows = RecordedChange.objects.filter(device_id=reading.device.id, record=record)
    entries = []
    for change in _page(_scoped(rows, reading.scope).select_related("audit_entry"), reading, "at"):
        entry = change.audit_entry
        if entry.result == AuditEntry.Result.FAILED:
            outcome, tone = failure_words(entry.upstream_status), "failed"
        else:
            outcome, tone = RESULT_WORDS.get(entry.result, (entry.get_result_display(), ""))
        entries.append(Entry(
            kind=kind, at=change.at, key=f"{kind}-{change.pk}", title=title, who=entry.username,
            outcome=outcome, tone=tone, changes=change.changes,
            detail=entry.error_message if entry.result == AuditEntry.Result.FAILED else "",
        ))  # fmt: skip
    return entries


def edits(reading: Reading) -> list[Entry]:
    return _changes(reading, ChangedRecord.DEVICE, "edits", "Device edited")


def maintenance(reading: Reading) -> list[Entry]:
    return _changes(reading, ChangedRecord.MAINTENANCE, "maintenance", "Maintenance record changed")


# --- scheduled (headless) operations ----------------------------------------------------


def scheduled(reading: Reading) -> list[Entry]:
    """Operations scheduled for this device, by id or by its serial number (one scheduled
    before the device was in the cache has no id); one of no known organization only
    when it names the device by id."""
    device = reading.device
    named = Q(device_id=device.id)
    if device.serial_number:
        named |= Q(device_serial=device.serial_number)
    rows = HeadlessRecord.objects.filter(named)
    if not reading.scope.all:
        rows = rows.filter(
            Q(organization_id__in=reading.scope.ids)
            | Q(organization_id__isnull=True, device_id=device.id)
        )
    entries = []
    for record in _page(rows.select_related("user"), reading, "created_at"):
        when = localtime(record.scheduled_time)
        entries.append(Entry(
            kind="scheduled", at=record.created_at, key=f"scheduled-{record.pk}",
            title=f"{record.operation_label} scheduled", who=record.user.get_username(),
            detail=f"For {when:%Y-%m-%d %H:%M %Z}; transaction {record.txn_id}.",
            outcome=f"Status: {record.status_label}" if record.status else "",
            tone=record.status_tone or "pending",
        ))  # fmt: skip
    return entries


# --- notifications (alerts) -------------------------------------------------------------

DELIVERY_TONES = {"sent": "ok", "failed": "failed", "retrying": "unknown",
                  "pending": "pending", "sending": "pending"}  # fmt: skip


def notifications(reading: Reading) -> list[Entry]:
    """Notifications about this device, of the rules the viewer may see (a fleet-wide
    rule's only for all-organization staff); where they went only for those who may see
    the rules' destinations (masked, as on the rule's page)."""
    rows = Delivery.objects.filter(device_id=reading.device.id)
    if not reading.scope.all:
        rows = rows.filter(
            Q(rule__organization_id__in=reading.scope.ids)
            | Q(rule__isnull=True, deleted_rule_organization_id__in=reading.scope.ids)
        )
    rules_scope = tenancy.scope_for(reading.user, tenancy.ALERT_RULES)
    entries = []
    for delivery in _page(rows.select_related("rule", "destination"), reading, "created_at"):
        rule = delivery.rule
        if rule is None:  # deleted since: as it was then
            org_id = delivery.deleted_rule_organization_id
            named = f"Rule “{delivery.deleted_rule_name}” (deleted since)"
        else:
            org_id, named = rule.organization_id, f"Rule “{rule.name}”"
        shown = rules_scope.allows(org_id)
        where = f" to {delivery.where}" if shown else ""
        tries = f"{delivery.attempts} attempt{'s' if delivery.attempts != 1 else ''}"
        entries.append(Entry(
            kind="notifications", at=delivery.created_at, key=f"notification-{delivery.pk}",
            title=f"Notification: {delivery.subject}",
            detail=f"{named}{where}; {tries}.",
            outcome=delivery.get_state_display(), tone=DELIVERY_TONES.get(delivery.state, ""),
        ))  # fmt: skip
    return entries


# --- firmware campaigns ---------------------------------------------------------------

# A campaign's outcome for one device, in the tones of the other entries; skipped (Down at
# each turn, nothing sent) is neither a success nor a failure of the update.
FIRMWARE_TONES = {
    Outcome.CONFIRMED: "ok", Outcome.ALREADY: "ok", Outcome.FAILED: "failed",
    Outcome.UNCONFIRMED: "failed", Outcome.DOWN: "failed", Outcome.SKIPPED: "unknown",
    Outcome.UNKNOWN: "unknown", Outcome.SENDING: "pending", Outcome.SENT: "pending",
}  # fmt: skip
# Not yet reached: a campaign stopped, paused or cancelled before the device's turn.
NOT_REACHED = (Outcome.WAITING, Outcome.RETRY)


def firmware(reading: Reading) -> list[Entry]:
    """Each campaign that reached this device, at the moment its update was sent (or, when
    nothing was sent, its last turn), with the outcome as it was followed. Campaigns write
    audit entries only, no ActionRecord, so no "actions" entry repeats one of these. The
    campaign's page is linked for those who may open it (tenancy.FIRMWARE), named to the
    others."""
    rows = _scoped(CampaignDevice.objects.filter(device_id=reading.device.id), reading.scope)
    rows = (
        rows.exclude(outcome__in=NOT_REACHED)
        .annotate(at=Coalesce("sent_at", "sending_at"))
        .filter(at__isnull=False)
        .select_related("campaign", "campaign__created_by")
    )
    entries = []
    for row in _page(rows, reading, "at"):
        campaign = row.campaign
        outcome = row.get_outcome_display()
        if row.outcome == Outcome.CONFIRMED:
            outcome = f"{outcome}: reports {row.version_after or 'no version'}"
        wave = "Canary" if row.wave == 1 else f"Wave {row.wave}"
        may_open = tenancy.can(reading.user, tenancy.FIRMWARE, campaign.organization_id)
        creator = campaign.created_by
        entries.append(Entry(
            kind="firmware", at=row.at, key=f"firmware-{row.pk}",
            title=f"Firmware update to image {campaign.image_id}",
            who=creator.get_username() if creator else audit.COMMAND_LINE,
            detail="; ".join(p for p in (f"{wave} of the campaign", row.message) if p),
            outcome=outcome, tone=FIRMWARE_TONES.get(row.outcome, ""),
            link_text=f"Campaign {campaign.pk}" + (f": {campaign.name}" if campaign.name else ""),
            link=reverse("campaigns:detail", args=[campaign.pk]) if may_open else "",
        ))  # fmt: skip
    return entries


# --- notes ------------------------------------------------------------------------------


def notes(reading: Reading) -> list[Entry]:
    rows = _scoped(Note.objects.filter(device_id=reading.device.id), reading.scope)
    entries = []
    for note in _page(rows, reading, "created_at"):
        entries.append(Entry(
            kind="notes", at=note.created_at, key=f"note-{note.pk}",
            title="Pinned warning" if note.pinned else "Note", who=note.author_name,
            detail=note.text, note=note, tone="warning" if note.pinned else "",
        ))  # fmt: skip
    return entries


# --- claims ("I'm on it") ------------------------------------------------------------

CLAIM_TITLES = {
    ClaimEvent.Kind.TAKEN: "Claimed: I'm on it",
    ClaimEvent.Kind.RELEASED: "Claim released",
    ClaimEvent.Kind.ENDED: "Claim ended",
    ClaimEvent.Kind.GONE: "Claim ended",
}


def claims(reading: Reading) -> list[Entry]:
    """Who took the device and with which note, and how each claim ended: released by whom,
    or by itself once the device had stayed Up or left the fleet (devices.claims)."""
    rows = _scoped(ClaimEvent.objects.filter(device_id=reading.device.id), reading.scope)
    return [
        Entry(kind="claims", at=event.at, key=f"claim-{event.pk}",
              title=CLAIM_TITLES[event.kind], who=event.by,
              detail=_claim_words(event))
        for event in _page(rows, reading, "at")
    ]  # fmt: skip


def _claim_words(event: ClaimEvent) -> str:
    """ "Note: …. With the devices that went Down together." when taken; whose claim it was
    and why it ended otherwise."""
    note = f"Note: {event.note}." if event.note else "No note."
    if event.kind == ClaimEvent.Kind.TAKEN:
        group = " With the devices that went Down together." if event.group_key else ""
        return note + group
    whose = f"{event.holder}'s claim. {note}"
    if event.kind == ClaimEvent.Kind.ENDED:
        kept_up = duration_words(claim_life.KEPT_UP)
        return f"{whose} It ended by itself: the device stayed Up for {kept_up}."
    if event.kind == ClaimEvent.Kind.GONE:
        return f"{whose} It ended by itself: the device is no longer in the fleet."
    return whose


# The sources, by the kind the filter names them with.
SOURCES = {
    "status": status_changes,
    "actions": actions,
    "edits": edits,
    "maintenance": maintenance,
    "scheduled": scheduled,
    "notifications": notifications,
    "firmware": firmware,
    "notes": notes,
    "claims": claims,
}
