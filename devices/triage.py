"""The on-call triage board: what needs a person now, and who is on it.

Three lists, all within the user's organizations and all from the read model:
devices Down now (most recent first, with how long), flapping devices (at least
fleet.store.history.FLAP_MIN_TRANSITIONS, 3, transitions in the last hour, from the
history), and devices
whose pending settings have not cleared for longer than the threshold.

Grouped by cause. "Down now" shows by default the devices that went Down together as one
group each (fleet.down_together: ASSUMPTION, status changes within 2 minutes of the
group's first), largest first, with what they share and how many share it
(fleet.shared_facts: organization, type and its connection profile, firmware, location);
a group of one is a plain row. The flat list (`?view=list`) is one click away. Groups and
counts are made of every Down device the user may see (up to ALL_DOWN_LIMIT), not only
of the DOWN_LIMIT rows a list shows: the cache's Down devices are read whole, a
read-model page at a time, once per snapshot and scope (`_all_down`).

A profile's health. A group that shares a type names its connection profile with the
health rules' verdict (common.profile_health, the one the profile pages and the
notifications give) on the profile as the last profile poll stored it ("failing").

Maintenance. A Down device that a maintenance window in force covers
(maintenance_windows.in_force) is not "Down now": it is counted and listed apart, "Down in
maintenance", with the window's reason and end; flapping and stuck rows are marked too.

Pending age. The upstream says what is pending, not since when. An entry's age
counts from the first poll that saw it (the read model keeps those times on
every poll, full and incremental, whether or not anyone reads this board:
`ReadModel.pending_first_seen`). An entry no poll has recorded yet is not stuck.

Claims ("I'm on it") live in the dashboard's database (devices.models.Claim) and
are visible to everyone who can see the device. A flap does not end one: it ends when
released, or once its device has stayed Up for devices.claims.KEPT_UP (ASSUMPTION: the
flapping window, 1 hour), after each poll (devices.tasks) and, as a backstop, when the
board finds the device so and neither Down, flapping nor stuck (a claim on such a row, Up,
stays while the board lists it). A group's claim is a claim on each of its devices under
one `group_key`, so it follows the same rules device by device and ends with the last of
them. Each claim's steps are kept (devices.claims) for the device's timeline.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import Http404

from accounts import audit, tenancy
from common import profile_health
from controlapi import errors
from controlapi.records import Device
from devices import (
    claims,
    configured,
    device_actions,
    fleet_health,
    form_keys,
    history_selectors,
    list_selectors,
    notes,
    pending_words,
    selectors,
)
from devices.models import ActionRecord, Claim
from devices.triage_filter import GROUPED, TriageQuery
from fleet import polling, shared_facts
from fleet.down_together import went_down_together
from fleet.store.current import SnapshotInfo
from fleet.store.queries import MAX_PAGE_SIZE, DeviceQuery
from maintenance_windows.in_force import window_for, windows_in_force

log = logging.getLogger(__name__)

DOWN_LIMIT = 100
FLAP_LIMIT = 50
STUCK_LIMIT = 100
NOTE_LENGTH = 200
QUICK_ACTIONS = ("refresh", "reboot")
# A claim is a note that someone is on it: whoever may note a device (not a wall's account).
CLAIM = tenancy.NOTE
GROUP_ROWS = 10  # a group shows its most recent devices; a link lists them all
# ASSUMPTION: the board shows the 25 largest groups; the others are counted, with the list
# a click away (a large fleet's Down devices make hundreds of small groups).
GROUP_LIMIT = 25
GROUP_LINK_MAX = 500  # a group's "all of them" link names its devices up to this many
ALL_DOWN_LIMIT = 20_000  # Down devices grouped and counted at most (the most recent)


def pending_threshold() -> timedelta:
    """How long pending settings may stay before they count (TRIAGE_PENDING_MINUTES)."""
    return timedelta(minutes=float(settings.TRIAGE_PENDING_MINUTES))


@dataclass(frozen=True)
class Maintenance:
    """The maintenance window in force that covers a device: why, and until when (None:
    until the device's maintenance record is closed)."""

    reason: str
    until: datetime | None


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
    can_claim: bool = False
    maintenance: Maintenance | None = None
    warning: str = ""  # its pinned note, in words (devices.notes)

    @property
    def stuck_in_words(self) -> list[str]:
        return [pending_words.name_in_words(name) for name in self.stuck]


@dataclass(frozen=True)
class GroupClaim:
    """The claim on a group: who, with which note, and on how many of its devices."""

    key: str
    device_id: int  # one device the claim covers: names it to release it
    user: object
    note: str
    created_at: datetime
    covers: int


@dataclass
class Group:
    """Devices that went Down together: `anchor` is the one that went Down first (it names
    the group in the claim's form), `facts` what they share, in words."""

    anchor: int
    total: int
    since: datetime
    facts: list[str]
    rows: list[Row]
    claim: GroupClaim | None
    query: dict[str, str] | None  # the board's query narrowed to its devices
    can_claim: bool = False


@dataclass
class Board:
    down: list[Row] = field(default_factory=list)
    down_total: int = 0
    groups: list[Group] = field(default_factory=list)
    singles: list[Row] = field(default_factory=list)  # grouped view: groups of one
    groups_not_shown: int = 0  # past GROUP_LIMIT
    devices_in_groups_not_shown: int = 0
    maintenance: list[Row] = field(default_factory=list)
    maintenance_total: int = 0
    flapping: list[Row] = field(default_factory=list)
    stuck: list[Row] = field(default_factory=list)
    threshold: timedelta = field(default_factory=pending_threshold)
    as_of: datetime | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    view: str = GROUPED
    query: TriageQuery = field(default_factory=TriageQuery)


@dataclass(frozen=True)
class DownNow:
    """The Down devices the user may see (narrowed by the board's filter), split into
    those Down now and those in maintenance; `unread` Down devices were not read (the
    cache unreachable: only the upstream's first page; or past ALL_DOWN_LIMIT)."""

    down: list[Device]
    in_maintenance: list[tuple[Device, Maintenance]]
    all_ids: frozenset[int]
    unread: int = 0
    as_of: datetime | None = None
    error: str | None = None
    notes: tuple[str, ...] = ()


def down_now(*, scope: tenancy.OrgScope, now: datetime, query: TriageQuery) -> DownNow:
    """Every Down device within `scope` and the query's filter, most recent first."""
    org_ids = scope.org_ids_or_none()
    snapshot = fleet_health.fleet_snapshot()
    first = list_selectors.device_list(
        org_ids=org_ids,
        query=DeviceQuery(status=False, sort="status_change", descending=True, limit=DOWN_LIMIT),
        snapshot=snapshot,
    )
    if first.error:
        return DownNow([], [], frozenset(), error=first.error, notes=first.notes)
    devices, notes = first.items, list(first.notes)
    if first.total > len(devices) and not first.degraded and snapshot.info is not None:
        try:
            devices = _all_down(org_ids, snapshot.info)
        except redis.RedisError as error:
            log.warning("triage: Down devices past the first page unread: %s", error)
    unread = max(0, first.total - len(devices))
    if unread:
        notes.append(
            f"Groups, counts and maintenance cover the {len(devices)} most recent Down devices "
            f"of {first.total}."
        )
    all_ids = frozenset(d.id for d in devices)
    if query.selector is not None:
        devices = [d for d in devices if query.selector.matches(d)]
        unread = 0  # a filtered board counts what it read
    marks = maintenance_marks(devices, now=now, org_ids=org_ids)
    return DownNow(
        down=[d for d in devices if d.id not in marks],
        in_maintenance=[(d, marks[d.id]) for d in devices if d.id in marks],
        all_ids=all_ids,
        unread=unread,
        as_of=first.as_of,
        notes=tuple(notes),
    )


def maintenance_marks(devices, *, now: datetime, org_ids) -> dict[int, Maintenance]:
    """Device id -> the window in force covering it, for those of `devices` in one."""
    windows = windows_in_force(now, org_ids)
    if not windows:
        return {}
    marks = {}
    for device in devices:
        window = window_for(device, windows)
        if window is not None:
            _, until = window.occurrence_at(now) or (None, None)
            marks[device.id] = Maintenance(reason=window.reason, until=until)
    return marks


# Every Down device of a scope, per snapshot: the board of every open triage page asks
# again every 10 s. Kept per (key prefix, generation, its full poll's start, version,
# scope), on the ASSUMPTION list_selectors' page memo rests on (every write that changes
# a device bumps the version), for ALL_DOWN_SECONDS at most; ALL_DOWN_KEPT lists.
ALL_DOWN_SECONDS = 60.0
ALL_DOWN_KEPT = 8
_all_down_memo: dict[tuple, tuple[float, list[Device]]] = {}
_all_down_guard = threading.Lock()


def _all_down(org_ids: frozenset[int] | None, info: SnapshotInfo) -> list[Device]:
    """The Down devices of `org_ids` in the snapshot `info`, most recent first, up to
    ALL_DOWN_LIMIT. Raises redis.RedisError."""
    key = (configured.key_prefix(), info.generation, info.full_as_of, info.version, org_ids)
    now = time.monotonic()
    kept = _all_down_memo.get(key)
    if kept is not None and now - kept[0] < ALL_DOWN_SECONDS:
        return kept[1]
    model = configured.read_model()
    devices: list[Device] = []
    while len(devices) < ALL_DOWN_LIMIT:
        page = model.query(
            DeviceQuery(status=False, sort="status_change", descending=True,
                        offset=len(devices), limit=MAX_PAGE_SIZE),
            org_ids, info=info,
        )  # fmt: skip
        devices.extend(page.items)
        if len(devices) >= page.total or not page.items:
            break
    devices = devices[:ALL_DOWN_LIMIT]
    with _all_down_guard:
        if len(_all_down_memo) >= ALL_DOWN_KEPT:
            _all_down_memo.clear()
        _all_down_memo[key] = (now, devices)
    return devices


def _flapping_and_stuck(board: Board, query: TriageQuery, org_ids, now: datetime):
    """The flapping devices and those with pending settings stuck past the board's
    threshold, with when each stuck setting was first seen, and the Up devices these lists
    hold whatever the filter (None: unknown); a note on the board when Redis cannot say."""
    flappers, stuck_devices, first_seen = [], [], {}
    # Up devices the board lists whatever its filter (flapping, stuck): their claims stay.
    # None: unknown (history or cache unreadable), so no claim is released.
    listed_up: set[int] | None = set()
    try:
        model = configured.read_model()
        found_flapping = history_selectors.flapping_devices(now=now, org_ids=org_ids)
        board.notes += [found_flapping.error] if found_flapping.error else []
        if found_flapping.error:
            listed_up = None
        else:
            listed_up.update(f.device_id for f in found_flapping.items)
        for flapper in found_flapping.items:
            if len(flappers) >= FLAP_LIMIT:
                break
            cached = model.get_device(flapper.device_id)
            if cached is not None and _wanted(query, cached.device):
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
            if old and listed_up is not None:
                listed_up.add(device.id)
            if old and _wanted(query, device):
                stuck_devices.append((device, tuple(old)))
    except redis.RedisError as error:
        log.warning("triage without history: %s", error)
        listed_up = None
        board.notes.append(
            "Flapping and stuck-pending lists need the fleet cache (Redis), which is unreachable."
        )
    return flappers, stuck_devices, first_seen, listed_up


def triage_board(
    *,
    user,
    scope: tenancy.OrgScope,
    now: datetime,
    query: TriageQuery | None = None,
    down_only: bool = False,
) -> Board:
    """The board; `down_only` (the wall's Down now) leaves out the flapping and stuck lists,
    which cost history and pending reads on every refresh and are not shown there."""
    query = query or TriageQuery()
    board = Board(view=query.view, query=query)
    org_ids = scope.org_ids_or_none()
    found = down_now(scope=scope, now=now, query=query)
    board.notes += found.notes
    if found.error:
        board.error = found.error
        return board
    board.as_of = found.as_of
    board.down_total = len(found.down) + found.unread
    board.maintenance_total = len(found.in_maintenance)
    down_devices = found.down
    # Down only: the flapping and stuck lists are not read, so no claim is released.
    flappers, stuck_devices, first_seen, listed_up = [], [], {}, None
    if not down_only:
        flappers, stuck_devices, first_seen, listed_up = _flapping_and_stuck(
            board, query, org_ids, now
        )

    # Claims end when their device is Up and off the board: those of the user's
    # organizations neither among the Down devices read nor flapping or stuck (the filter
    # narrows only what is shown).
    if listed_up is not None:
        _end_claims_off_board(kept_ids=set(found.all_ids) | listed_up, scope=scope, now=now)
    if query.view == GROUPED:
        bursts = went_down_together(down_devices)
        grouped = [b for b in bursts if len(b) > 1]
        in_groups = {d.id for b in grouped for d in b}
        singles = [d for d in down_devices if d.id not in in_groups][:DOWN_LIMIT]
        grouped, not_shown = grouped[:GROUP_LIMIT], grouped[GROUP_LIMIT:]
        board.groups_not_shown = len(not_shown)
        board.devices_in_groups_not_shown = sum(len(b) for b in not_shown)
        shown_down = singles + [d for b in grouped for d in _most_recent(b)[:GROUP_ROWS]]
    else:
        grouped, singles = [], []
        shown_down = down_devices[:DOWN_LIMIT]
    in_maintenance = found.in_maintenance[:DOWN_LIMIT]
    marks = maintenance_marks(
        [d for d, _ in flappers] + [d for d, _ in stuck_devices[:STUCK_LIMIT]],
        now=now, org_ids=org_ids,
    )  # fmt: skip
    marks.update({d.id: m for d, m in in_maintenance})
    all_claims = _claims_of(
        {d.id for d in shown_down}
        | {d.id for d, _ in in_maintenance}
        | {d.id for d, _ in flappers}
        | {d.id for d, _ in stuck_devices},
        scope=scope if grouped else None,
    )
    listed = (
        shown_down
        + [d for d, _ in in_maintenance]
        + [d for d, _ in flappers]
        + [d for d, _ in stuck_devices]
    )
    names = list_selectors.organization_names(
        {d.organization_id for d in listed} | {d.organization_id for b in grouped for d in b}
    )
    pinned = notes.pinned_warnings({d.id for d in listed}, scope=scope)  # one query
    refresh_scope = tenancy.scope_for(user, tenancy.REFRESH)
    reboot_scope = tenancy.scope_for(user, tenancy.REBOOT)
    claim_scope = tenancy.scope_for(user, CLAIM)

    def row(device: Device, **extra) -> Row:
        return Row(
            device=device,
            organization=names.get(device.organization_id, ""),
            claim=all_claims.get(device.id),
            can_refresh=refresh_scope.allows(device.organization_id),
            can_reboot=reboot_scope.allows(device.organization_id),
            can_claim=claim_scope.allows(device.organization_id),
            maintenance=marks.get(device.id),
            warning=notes.warning_words(pinned.get(device.id, [])),
            **extra,
        )

    if query.view == GROUPED:
        board.groups = _groups(
            grouped, row=row, held=all_claims, names=names, query=query,
            profile_scope=tenancy.scope_for(user),
        )  # fmt: skip
        for group in board.groups:
            group.can_claim = all(r.can_claim for r in group.rows)
        board.singles = [row(d, since=d.status_change) for d in singles]
    else:
        board.down = [row(d, since=d.status_change) for d in shown_down]
    board.maintenance = [row(d, since=d.status_change) for d, _ in in_maintenance]
    board.flapping = [row(d, transitions=n) for d, n in flappers]
    board.stuck = [
        row(d, stuck=names_, since=min(first_seen[(d.id, n)] for n in names_))
        for d, names_ in stuck_devices[:STUCK_LIMIT]
    ]
    board.stuck.sort(key=lambda r: r.since)
    return board


def _wanted(query: TriageQuery, device: Device) -> bool:
    return query.selector is None or query.selector.matches(device)


def _most_recent(devices: list[Device]) -> list[Device]:
    return sorted(devices, key=lambda d: (d.status_change, d.id), reverse=True)


def _claims_of(device_ids: set[int], *, scope: tenancy.OrgScope | None) -> dict[int, Claim]:
    """The claims of the rows shown, and with a `scope` every group claim within it (a
    group's devices may be thousands; claims are few, so they are not asked for by id)."""
    wanted = Q(device_id__in=device_ids)
    if scope is not None:
        groups = ~Q(group_key="")
        if not scope.all:
            groups &= Q(organization_id__in=scope.ids)
        wanted |= groups
    return {c.device_id: c for c in Claim.objects.filter(wanted).select_related("user")}


def _groups(
    bursts, *, row, held, names, query: TriageQuery, profile_scope: tenancy.OrgScope
) -> list[Group]:
    profiles = _profiles(profile_scope) if bursts else {}
    groups = []
    for burst in bursts:
        groups.append(
            Group(
                anchor=burst[0].id,
                total=len(burst),
                since=burst[0].status_change,
                facts=fact_words(burst, names=names, profiles=profiles),
                rows=[row(d, since=d.status_change) for d in _most_recent(burst)[:GROUP_ROWS]],
                claim=_group_claim(burst, held),
                query=(
                    {"view": "list", "devices": ",".join(str(d.id) for d in sorted(burst, key=_id))}
                    if len(burst) <= GROUP_LINK_MAX
                    else None
                ),
            )
        )
    return groups


def _id(device: Device) -> int:
    return device.id


def _profiles(scope: tenancy.OrgScope) -> dict[int, object]:
    """Profile id -> the profile as the last profile poll stored it (empty if unknown), of
    those `scope` may open: a group never names another organization's profile."""
    try:
        snapshot = configured.read_model().read_profiles()
    except (redis.RedisError, ValueError) as error:
        log.warning("triage without profiles: %s", error)
        return {}
    shown = tenancy.visible_profiles(snapshot.items, scope) if snapshot else []
    return {p.id: p for p in shown}


def fact_words(
    devices: list[Device], *, names: dict[int, str], profiles: dict, now: datetime | None = None
) -> list[str]:
    """What a group shares, in words with counts, as its notification says it
    (alerts.messages): "all organization Acme", "290 of 300 type CPE-X (#7)",
    "connection profile Warehouse: failing", "280 of 300 firmware 2.1.4"."""
    now = now or datetime.now(UTC)
    words = []
    for fact in shared_facts.shared_facts(devices):
        count = "all" if fact.shared_by_all else f"{fact.count} of {fact.total}"
        if fact.kind == shared_facts.ORGANIZATION:
            words.append(f"{count} organization {names.get(fact.value, fact.value)}")
        elif fact.kind == shared_facts.TYPE:
            name = next((d.type_short_name for d in devices if d.type == fact.value), None)
            words.append(
                f"{count} type " + (f"{name} (#{fact.value})" if name else f"#{fact.value}")
            )
            profile = profiles.get(fact.value)
            if profile is not None:
                # ASSUMPTION (fleet.device_selector): a device's type is its profile's id.
                state = profile_health.judge(profile, now).state
                words.append(f"connection profile {profile.name}: {state}")
        elif fact.kind == shared_facts.FIRMWARE:
            words.append(f"{count} firmware {fact.value}")
        else:
            words.append(f"{count} location {fact.value}")
    return words


def _group_claim(burst: list[Device], held: dict[int, Claim]) -> GroupClaim | None:
    """The group claim on most (over half) of the group's devices, if any: a group grown
    since a claim on a few of its devices is offered to be claimed whole."""
    keyed = [held[d.id] for d in burst if d.id in held and held[d.id].group_key]
    if not keyed:
        return None
    key, covers = Counter(c.group_key for c in keyed).most_common(1)[0]
    if covers * 2 <= len(burst):
        return None
    first = next(c for c in keyed if c.group_key == key)
    return GroupClaim(key=key, device_id=first.device_id, user=first.user, note=first.note,
                      created_at=first.created_at, covers=covers)  # fmt: skip


def _end_claims_off_board(*, kept_ids: set[int], scope: tenancy.OrgScope, now: datetime):
    """End the claims of the scope's organizations, other than of `kept_ids` (Down, flapping
    or stuck), whose device the cache has had Up for claims.KEPT_UP."""
    held = Claim.objects.all() if scope.all else Claim.objects.filter(organization_id__in=scope.ids)
    off_board = [c for c in held if c.device_id not in kept_ids]  # claims are few
    try:
        claims.end_claims_off_board(off_board, configured.read_model(), now=now)
    except redis.RedisError as error:
        log.warning("triage: claims kept, their devices unread: %s", error)


# --- writes --------------------------------------------------------------------------


def claim_device(*, user, device_id: int, note: str) -> Claim:
    """Take a device ("I'm on it"); claiming one's own claim again replaces its note. Raises
    ClaimedByOther when another person holds it: a stale board never takes it from them."""
    read = selectors.device_for_user(user=user, device_id=device_id, action=CLAIM, detail=False)
    device = read.device
    note = _note_text(note)
    with transaction.atomic():
        # One row per device (unique): of two claims at once, the second finds the first.
        claim, created = Claim.objects.select_for_update().get_or_create(
            device_id=device.id,
            defaults={"user": user, "note": note, "organization_id": device.organization_id,
                      "device_name": device.name},
        )  # fmt: skip
        if not created and claim.user_id != user.pk:
            raise ClaimedByOther([claim.user.get_username()])
        if not created:
            claim.note = note
            claim.save(update_fields=["note"])
        claims.record([claim], claims.TAKEN, by=user.get_username())
        audit.record_action(user=user, action="claim", result=audit.OK,
                            organization_id=device.organization_id, device_id=device.id,
                            device_name=device.name, parameters={"note": note})  # fmt: skip
    return claim


def _note_text(note: str) -> str:
    """A claim's note on one line, without NUL (PostgreSQL refuses it), at most NOTE_LENGTH."""
    return " ".join(note.replace("\x00", "").split())[:NOTE_LENGTH]


class ClaimedByOther(Exception):
    """Another person is on it already; `usernames` names who."""

    def __init__(self, usernames: list[str]):
        super().__init__(", ".join(usernames))
        self.usernames = usernames


@dataclass(frozen=True)
class GroupTaken:
    """What a group claim took: `count` of the group's `total` devices; the others are
    claimed by `others` (usernames)."""

    count: int
    total: int
    others: list[str]


def claim_group(*, user, scope: tenancy.OrgScope, anchor: int, note: str, now: datetime,
                query: TriageQuery) -> GroupTaken:  # fmt: skip
    """Take the group that went Down with device `anchor` first, as the user's board draws
    it (`scope` and the board's `query`): every device of it nobody else has claimed gets a
    claim under one key (the user's own claims join it); another person's claims stay
    theirs. Raises GroupChanged when the board no longer has that group (its devices came
    Up, or the page was old), ClaimedByOther when others hold every device of it, and
    DeviceNotFound (404) when the user may not see the device `anchor`."""
    selectors.device_for_user(user=user, device_id=anchor, action=CLAIM, detail=False)
    found = down_now(scope=scope, now=now, query=query)
    burst = next(
        (b for b in went_down_together(found.down) if len(b) > 1 and b[0].id == anchor), None
    )
    if burst is None:
        raise GroupChanged
    note = _note_text(note)
    key = secrets.token_hex(8)
    ids = [d.id for d in burst]
    with transaction.atomic():
        # A device claimed meanwhile (even by a request running now) keeps its claim.
        Claim.objects.bulk_create(
            [
                Claim(
                    device_id=d.id,
                    organization_id=d.organization_id,
                    device_name=d.name,
                    user=user,
                    note=note,
                    created_at=now,
                    group_key=key,
                )  # fmt: skip
                for d in sorted(burst, key=_id)  # one order: two claims at once never deadlock
            ],
            ignore_conflicts=True,
        )
        Claim.objects.filter(device_id__in=ids, user=user).exclude(group_key=key).update(
            note=note, created_at=now, group_key=key
        )
        taken = Counter(
            Claim.objects.filter(group_key=key).values_list("organization_id", flat=True)
        )
        others = sorted(
            set(
                Claim.objects.filter(device_id__in=ids)
                .exclude(group_key=key)
                .values_list("user__username", flat=True)
            )
        )
        if not taken:
            raise ClaimedByOther(others)
        claims.record(
            Claim.objects.filter(group_key=key).select_related("user"), claims.TAKEN,
            by=user.get_username(), at=now,
        )  # fmt: skip
        # One entry per organization: each tenant's trail names only its own devices.
        for org, count in taken.items():
            audit.record_action(
                user=user, action="claim_group", result=audit.OK, organization_id=org,
                device_name=f"{count} devices",
                parameters={"note": note, "devices": count, "group": key},
            )  # fmt: skip
    return GroupTaken(count=sum(taken.values()), total=len(burst), others=others)


class GroupChanged(Exception):
    """The group asked for is not on the board any more."""


def release_group_claim(*, user, scope: tenancy.OrgScope, device_id: int) -> int:
    """Release the group claim that covers `device_id`, on the devices of it the user may
    see; 0 when a device the user may see has none (released already, or ended); 404 when the
    device is outside the scope, whether it has a claim or not (the same answer)."""
    found = Claim.objects.filter(device_id=device_id).exclude(group_key="").first()
    if found is None:
        selectors.device_for_user(user=user, device_id=device_id, action=CLAIM, detail=False)
        return 0
    if not scope.allows(found.organization_id):
        raise Http404("No such claim.")
    key = found.group_key
    group = Claim.objects.filter(group_key=key)
    if not scope.all:
        group = group.filter(organization_id__in=scope.ids)
    counts = Counter(group.values_list("organization_id", flat=True))
    with transaction.atomic():
        claims.end(group, claims.RELEASED, by=user.get_username())
        for org, count in counts.items():
            audit.record_action(user=user, action="release_group_claim", result=audit.OK,
                                organization_id=org, device_name=f"{count} devices",
                                parameters={"devices": count, "group": key})  # fmt: skip
    return sum(counts.values())


def release_claim(*, user, device_id: int) -> bool:
    """Release the device's claim; False when there was none (released already, or the
    device had stayed Up)."""
    read = selectors.device_for_user(user=user, device_id=device_id, action=CLAIM, detail=False)
    ended = claims.end(
        Claim.objects.filter(device_id=device_id), claims.RELEASED, by=user.get_username()
    )
    if ended:
        audit.record_action(user=user, action="release_claim", result=audit.OK,
                            organization_id=read.device.organization_id, device_id=device_id,
                            device_name=read.device.name)  # fmt: skip
    return bool(ended)


def quick_action(*, user, device_id: int, action: str, key: str = "") -> tuple[str, bool]:
    """Refresh (read the device now, update_status) or reboot (the single-device service,
    once per form `key`: a page from before keys sends under a key of its own). Returns a
    sentence for the page, and whether the action did what was asked."""
    if action not in QUICK_ACTIONS:
        raise Http404("No such action.")
    if action == "reboot":
        record, replayed = device_actions.device_action(
            device_id=device_id, user=user, action="reboot",
            idempotency_key=key if form_keys.well_formed(key) else form_keys.new_key(),
        )  # fmt: skip
        done = record.state in (ActionRecord.State.SENT, ActionRecord.State.ALREADY_PENDING)
        if replayed:
            return f"This reboot was sent already: {record.message}", done
        return record.message, done
    read = selectors.device_for_user(user=user, device_id=device_id, detail=False)
    org = read.device.organization_id
    tenancy.ensure_allowed(user, tenancy.REFRESH, org)
    try:
        device = selectors.fetch_device(device_id, update_status=True)
    except (errors.ControlAPIError, polling.RefreshTimeout) as error:
        audit.record_action(user=user, action=tenancy.REFRESH, result=audit.FAILED,
                            organization_id=org, device_id=device_id,
                            device_name=read.device.name, error_message=str(error))  # fmt: skip
        return f"Could not refresh {read.device.name}: {errors.as_sentence(error)}", False
    # Moved upstream to an organization not the user's: unknown here, nothing audited.
    tenancy.ensure_allowed(user, tenancy.REFRESH, device.organization_id)
    org = device.organization_id
    audit.record_action(user=user, action=tenancy.REFRESH, result=audit.OK, organization_id=org,
                        device_id=device_id, device_name=device.name)  # fmt: skip
    return f"{device.name} is {device.status}.", True
