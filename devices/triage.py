"""The on-call triage board: what needs a person now, and who is on it.

Three lists, all within the user's organizations and all from the read model:
devices Down now (most recent first, with how long), flapping devices (at least
fleet.store.history.FLAP_MIN_TRANSITIONS, 3, transitions in the last hour, from the
history), and devices
whose pending settings have not cleared for longer than the threshold.

Pending age. The upstream says what is pending, not since when. An entry's age
counts from the first poll that saw it (the read model keeps those times on
every poll, full and incremental, whether or not anyone reads this board:
`ReadModel.pending_first_seen`). An entry no poll has recorded yet is not stuck.

Claims ("I'm on it") live in the dashboard's database (devices.models.Claim),
are visible to everyone who can see the device, and are dropped when a poll
sees the device come Up (devices.tasks, after each poll) and, as a backstop,
when the board finds the device Up.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.http import Http404

from accounts import audit, tenancy
from controlapi import errors
from controlapi.records import Device
from devices import configured, device_actions, list_selectors, selectors
from devices.models import Claim
from fleet import polling
from fleet.store.queries import DeviceQuery

log = logging.getLogger(__name__)

DOWN_LIMIT = 100
FLAP_LIMIT = 50
STUCK_LIMIT = 100
NOTE_LENGTH = 200
QUICK_ACTIONS = ("refresh", "reboot")


def pending_threshold() -> timedelta:
    """How long pending settings may stay before they count (TRIAGE_PENDING_MINUTES)."""
    return timedelta(minutes=float(settings.TRIAGE_PENDING_MINUTES))


@dataclass(frozen=True)
class Row:
    device: Device
    organization: str
    claim: Claim | None
    since: datetime | None = None  # down since / pending since
    transitions: int = 0
    stuck: tuple[str, ...] = ()  # pending entry names past the threshold
    can_refresh: bool = False
    can_reboot: bool = False


@dataclass
class Board:
    down: list[Row] = field(default_factory=list)
    down_total: int = 0
    flapping: list[Row] = field(default_factory=list)
    stuck: list[Row] = field(default_factory=list)
    threshold: timedelta = field(default_factory=pending_threshold)
    as_of: datetime | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)


def triage_board(*, user, scope: tenancy.OrgScope, now: datetime) -> Board:
    board = Board()
    org_ids = scope.org_ids_or_none()
    down = list_selectors.device_list(
        org_ids=org_ids,
        query=DeviceQuery(status=False, sort="status_change", descending=True, limit=DOWN_LIMIT),
    )
    if down.error:
        board.error = down.error
        return board
    board.as_of, board.down_total = down.as_of, down.total
    board.notes += down.notes
    down_devices = down.items
    flappers, stuck_devices, first_seen = [], [], {}
    try:
        model = configured.read_model()
        found = model.flapping_devices(now=now, org_ids=org_ids)[:FLAP_LIMIT]
        for flapper in found:
            cached = model.get_device(flapper.device_id)
            if cached is not None:
                flappers.append((cached.device, flapper.transitions))
        pending = list_selectors.all_matching(org_ids, DeviceQuery(pending_only=True))
        first_seen = model.pending_first_seen(
            (d.id, p.name) for d in pending for p in d.pending_settings
        )
        threshold = now - board.threshold
        for device in pending:
            old = [
                p.name
                for p in device.pending_settings
                if (device.id, p.name) in first_seen
                and first_seen[(device.id, p.name)] <= threshold
            ]
            if old:
                stuck_devices.append((device, tuple(old)))
    except redis.RedisError as error:
        log.warning("triage without history: %s", error)
        board.notes.append(
            "Flapping and stuck-pending lists need the fleet cache (Redis), which is unreachable."
        )

    _release_claims_of_up_devices(down_ids={d.id for d in down_devices})
    shown = (
        {d.id for d in down_devices}
        | {d.id for d, _ in flappers}
        | {d.id for d, _ in stuck_devices}
    )
    claims = {
        c.device_id: c for c in Claim.objects.filter(device_id__in=shown).select_related("user")
    }
    names = list_selectors.organization_names({d.organization_id for d in down_devices}
                                | {d.organization_id for d, _ in flappers}
                                | {d.organization_id for d, _ in stuck_devices})  # fmt: skip
    refresh_scope = tenancy.scope_for(user, tenancy.REFRESH)
    reboot_scope = tenancy.scope_for(user, tenancy.REBOOT)

    def row(device: Device, **extra) -> Row:
        return Row(
            device=device,
            organization=names.get(device.organization_id, ""),
            claim=claims.get(device.id),
            can_refresh=refresh_scope.allows(device.organization_id),
            can_reboot=reboot_scope.allows(device.organization_id),
            **extra,
        )

    board.down = [row(d, since=d.status_change) for d in down_devices]
    board.flapping = [row(d, transitions=n) for d, n in flappers]
    board.stuck = [
        row(d, stuck=names_, since=min(first_seen[(d.id, n)] for n in names_))
        for d, names_ in stuck_devices[:STUCK_LIMIT]
    ]
    board.stuck.sort(key=lambda r: r.since)
    return board


def _release_claims_of_up_devices(*, down_ids: set[int]) -> None:
    """Claims end when the device is Up again: drop those whose device the cache has Up."""
    claimed = set(Claim.objects.values_list("device_id", flat=True)) - down_ids
    if not claimed:
        return
    try:
        model = configured.read_model()
        up = {i for i in claimed if (c := model.get_device(i)) is not None and c.device.is_up}
    except redis.RedisError:
        return  # unknown: keep them
    if up:
        Claim.objects.filter(device_id__in=up).delete()


# --- writes --------------------------------------------------------------------------


def claim_device(*, user, device_id: int, note: str) -> Claim:
    """Take a device ("I'm on it"); a second claim replaces the note and the person."""
    read = selectors.device_for_user(user=user, device_id=device_id, detail=False)
    device = read.device
    note = " ".join(note.split())[:NOTE_LENGTH]
    claim, _ = Claim.objects.update_or_create(
        device_id=device.id,
        defaults={"user": user, "note": note, "organization_id": device.organization_id,
                  "device_name": device.name},
    )  # fmt: skip
    audit.record_action(user=user, action="claim", result=audit.OK,
                        organization_id=device.organization_id, device_id=device.id,
                        device_name=device.name, parameters={"note": note})  # fmt: skip
    return claim


def release_claim(*, user, device_id: int) -> None:
    read = selectors.device_for_user(user=user, device_id=device_id, detail=False)
    deleted, _ = Claim.objects.filter(device_id=device_id).delete()
    if deleted:
        audit.record_action(user=user, action="release_claim", result=audit.OK,
                            organization_id=read.device.organization_id, device_id=device_id,
                            device_name=read.device.name)  # fmt: skip


def quick_action(*, user, device_id: int, action: str) -> str:
    """Refresh (read the device now, update_status) or reboot (the single-device service).
    Returns a sentence for the page."""
    if action not in QUICK_ACTIONS:
        raise Http404("No such action.")
    if action == "reboot":
        record, _ = device_actions.device_action(
            device_id=device_id, user=user, action="reboot",
            idempotency_key=secrets.token_urlsafe(24),
        )  # fmt: skip
        return record.message
    read = selectors.device_for_user(user=user, device_id=device_id, detail=False)
    org = read.device.organization_id
    tenancy.ensure_allowed(user, tenancy.REFRESH, org)
    try:
        device = selectors.fetch_device(device_id, update_status=True)
    except (errors.ControlAPIError, polling.RefreshTimeout) as error:
        audit.record_action(user=user, action=tenancy.REFRESH, result=audit.FAILED,
                            organization_id=org, device_id=device_id,
                            device_name=read.device.name, error_message=str(error))  # fmt: skip
        return f"Could not refresh {read.device.name}: {errors.as_sentence(error)}"
    audit.record_action(user=user, action=tenancy.REFRESH, result=audit.OK, organization_id=org,
                        device_id=device_id, device_name=device.name)  # fmt: skip
    return f"{device.name} is {device.status}."
