"""Reads of the fleet for views: lists, one device, counts, freshness, history.

Every answer says how old its data is (`as_of`) and whether it came the
degraded way (`degraded`): when Redis is unreachable, lists and details are read
from the upstream directly (never with update_status, which is too slow for a
page), and what the upstream cannot do (search, sorting, the pending-only
filter) is said in `notes`. When the upstream fails as well, the answer is
empty with an `error` in words. Nothing here raises because Redis or the
upstream misbehaved; a view never answers 500 for them.

Every read takes `org_ids` (`tenancy.scope_for(user, action).org_ids_or_none()`,
None: every organization) and applies it inside the query.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import msgspec
import redis
from django.db.models.functions import Lower
from django.http import Http404

from accounts import tenancy
from accounts.models import Organization
from controlapi import errors
from controlapi.records import DETAIL_ONLY_FIELDS, Device, Profile, has_detail_fields
from devices import configured
from fleet import freshness, polling
from fleet.freshness import Banner
from fleet.read_model import (
    FLAP_MIN_TRANSITIONS,
    CountPoint,
    DevicePage,
    DeviceQuery,
    FirmwareSeen,
    Flapper,
    PollHealth,
    SnapshotInfo,
    Transition,
)

log = logging.getLogger(__name__)

# Seconds a detail page waits for a fetch of the same device already in flight
# (a "refresh now" with update_status can be slow); then it shows the cached copy.
PAGE_REFRESH_WAIT = 3.0
# The upstream's own page-size cap: a degraded list cannot ask for more.
UPSTREAM_MAX_PAGE = 100

NOTE_UPSTREAM_ORDER = "Devices are shown in the control API's order: sorting needs the cache."
NOTE_NO_SEARCH = "Search is not applied: it needs the fleet cache."
NOTE_NO_PENDING = "The pending-only filter is not applied: it needs the fleet cache."
NOTE_FILLING = "The fleet cache is still being filled; this page reads the control API."


def _now() -> datetime:
    return datetime.now(UTC)


def _words(prefix: str, error: Exception) -> str:
    return f"{prefix} {errors.as_sentence(error)}"


@dataclass(frozen=True, slots=True)
class DeviceList:
    items: list[Device]
    total: int
    counts: dict[str, int] | None  # {"up", "down"}; None when they could not be had
    as_of: datetime | None
    degraded: bool = False
    error: str | None = None
    notes: tuple[str, ...] = ()
    # Read from the upstream because no poll has finished yet, while Redis is up: the
    # page must not call the cache unavailable.
    filling: bool = False


@dataclass(frozen=True, slots=True)
class DeviceDetail:
    device: Device | None
    as_of: datetime | None  # when this state was read from the upstream
    degraded: bool = False
    error: str | None = None  # set when the device could not be read, or read fresh
    stale: bool = False  # from the cache although older than wanted (upstream failed)
    reason: str | None = None  # the upstream's own words when that read failed
    # When the detail-only fields shown were read, if they come from the device's last
    # detail record kept (`kept_detail`) rather than with the rest of this copy.
    detail_kept: datetime | None = None

    @property
    def warning(self) -> str:
        """What a page says above a cached copy shown because a fresh read failed."""
        return f"{self.error} Showing the cached copy." if self.stale and self.error else ""

    @property
    def detail_current(self) -> bool:
        """The detail-only fields came with this copy (not kept from an earlier read)."""
        return (
            self.device is not None and self.detail_kept is None and has_detail_fields(self.device)
        )


class DeviceUnavailable(Exception):
    """The device is in no cache and the control API could not be read: say so in words."""


@dataclass(frozen=True, slots=True)
class History:
    """History answers (transitions, flapping devices, count series)."""

    items: list | dict = field(default_factory=list)
    degraded: bool = False
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FleetSnapshot:
    """The read model's current snapshot as one request read it (`fleet_snapshot`), so a
    page's list reads and the layout's banner (`fleet_banner`) share one Redis round
    trip and one generation."""

    info: SnapshotInfo | None  # None: nothing polled yet, or Redis unreachable
    unreachable: bool = False


def fleet_snapshot() -> FleetSnapshot:
    try:
        return FleetSnapshot(configured.read_model().snapshot_info())
    except redis.RedisError as error:
        log.warning("fleet cache unreachable: %s", error)
        return FleetSnapshot(None, unreachable=True)


# --- lists -----------------------------------------------------------------------


def device_list(
    *, org_ids: frozenset[int] | None, query: DeviceQuery, snapshot: FleetSnapshot | None = None
) -> DeviceList:
    """One page of a query; `snapshot`: the request's (`fleet_snapshot`), or read here."""
    snapshot = snapshot or fleet_snapshot()
    info = snapshot.info
    if snapshot.unreachable:
        return _upstream_list(query, org_ids, notes=())
    if info is None:
        return _upstream_list(query, org_ids, notes=(NOTE_FILLING,), filling=True)
    try:
        page = _page_of(configured.read_model(), with_organization_order(query), org_ids, info)
    except redis.RedisError as error:
        log.warning("fleet cache unreachable, listing from the upstream: %s", error)
        return _upstream_list(query, org_ids, notes=())
    # The snapshot's own time: a poll that changed nothing moves it without a new version.
    return DeviceList(
        items=list(page.items), total=page.total, counts=dict(page.counts), as_of=info.as_of
    )


def with_organization_order(query: DeviceQuery) -> DeviceQuery:
    """`query` with the organization sort's order filled in: organizations by the
    dashboard's names, as the list shows them (the read model knows only ids)."""
    if query.sort != "organization" or query.organization_order:
        return query
    order = Organization.objects.order_by(Lower("name"), "upstream_id").values_list(
        "upstream_id", flat=True
    )
    return replace(query, organization_order=tuple(order))


# A page of a query is fixed by the snapshot it is read from: its generation and version.
# ASSUMPTION (the read model's own cached results rest on it too): every write that
# changes a device bumps the version, and a full poll makes a new generation. So a page
# asked again of the same snapshot, as every open list asks every 10 s, is answered from
# this process's memory instead of walking Redis's indexes and decoding the devices
# again; a change to the fleet makes a new key. The key also holds the prefix, the scope
# and the time the generation's full poll started (a read model emptied and refilled
# under the same prefix numbers its generations from 1 again). Kept PAGE_MEMO_SECONDS at
# most, PAGE_MEMO_SIZE pages (pages ask for 200 devices at most); when full, the oldest
# page goes, so a burst of searches does not drop the pages the open lists keep asking.
PAGE_MEMO_SECONDS = 60.0
PAGE_MEMO_SIZE = 64
_page_memo: dict[tuple, tuple[float, DevicePage]] = {}  # in the order the pages were read
_page_memo_guard = threading.Lock()  # a worker's threads share it


def _page_of(model, query: DeviceQuery, org_ids, info: SnapshotInfo) -> DevicePage:
    key = (model.keys.p, info.generation, info.full_as_of, info.version, org_ids, query)
    now = time.monotonic()
    kept = _page_memo.get(key)
    if kept is not None and now - kept[0] < PAGE_MEMO_SECONDS:
        return kept[1]
    page = model.query(query, org_ids, info=info)
    with _page_memo_guard:
        _page_memo.pop(key, None)  # an expired copy: the new one goes last
        while len(_page_memo) >= PAGE_MEMO_SIZE:
            del _page_memo[next(iter(_page_memo))]
        _page_memo[key] = (now, page)
    return page


def fleet_counts(
    *,
    org_ids: frozenset[int] | None,
    query: DeviceQuery | None = None,
    snapshot: FleetSnapshot | None = None,
) -> DeviceList:
    """Totals and Up/Down counts for a filter (no device rows)."""
    base = query or DeviceQuery()
    counted = device_list(
        snapshot=snapshot,
        org_ids=org_ids,
        query=DeviceQuery(
            status=base.status,
            organization=base.organization,
            type=base.type,
            changed_since=base.changed_since,
            pending_only=base.pending_only,
            search=base.search,
            limit=1,
        ),
    )
    return DeviceList(
        items=[],
        total=counted.total,
        counts=counted.counts,
        as_of=counted.as_of,
        degraded=counted.degraded,
        error=counted.error,
        notes=counted.notes,
        filling=counted.filling,
    )


def _upstream_list(
    query: DeviceQuery,
    org_ids: frozenset[int] | None,
    *,
    notes: tuple[str, ...],
    filling: bool = False,
) -> DeviceList:
    notes = (*notes, NOTE_UPSTREAM_ORDER)
    if query.search.strip():
        notes += (NOTE_NO_SEARCH,)
    if query.pending_only:
        notes += (NOTE_NO_PENDING,)
    if org_ids is None:
        segments: list[int | None] = [query.organization]
    else:
        allowed = org_ids if query.organization is None else org_ids & {query.organization}
        segments = sorted(allowed)
        if not segments:
            return DeviceList(
                [], 0, {"up": 0, "down": 0}, _now(), degraded=True, notes=notes, filling=filling
            )
    filters = {
        "status": query.status,
        "type": query.type,
        "last_status_change_from": query.changed_since,
    }
    limit = min(query.limit, UPSTREAM_MAX_PAGE)
    try:
        with configured.degraded_upstream()() as api:
            items, total = _segmented_page(api, segments, filters, query.offset, limit)
            counts = _upstream_counts(api, segments, filters, total)
    except errors.ControlAPIError as error:
        cache = "is still being filled" if filling else "is unavailable"
        message = _words(
            f"The fleet cache {cache} and the control API could not be read either:", error
        )
        return DeviceList(
            [], 0, None, None, degraded=True, error=message, notes=notes, filling=filling
        )
    return DeviceList(items, total, counts, _now(), degraded=True, notes=notes, filling=filling)


def _segmented_page(api, segments, filters, offset, limit) -> tuple[list[Device], int]:
    """One page across several organizations' lists laid end to end (the upstream
    filters one organization at a time; a tenant may have several)."""
    if len(segments) == 1:
        page = api.list_devices(organization=segments[0], limit=limit, offset=offset, **filters)
        return list(page.items), page.count
    sizes = [api.list_devices(organization=o, limit=1, **filters).count for o in segments]
    items: list[Device] = []
    start = offset
    for organization, size in zip(segments, sizes, strict=True):
        if start >= size:
            start -= size
            continue
        if len(items) < limit:
            page = api.list_devices(
                organization=organization, limit=limit - len(items), offset=start, **filters
            )
            items.extend(page.items)
        start = 0
    return items, sum(sizes)


def _upstream_counts(api, segments, filters, total) -> dict[str, int]:
    if filters["status"] is not None:
        return {"up": total, "down": 0} if filters["status"] else {"up": 0, "down": total}
    counts = {"up": 0, "down": 0}
    for organization in segments:
        for status, name in ((True, "up"), (False, "down")):
            answer = api.list_devices(
                organization=organization, limit=1, **{**filters, "status": status}
            )
            counts[name] += answer.count
    return counts


def device_types(*, org_ids: frozenset[int] | None) -> dict[int, str]:
    """Type id -> type_short_name of the device types present in the cached fleet
    within `org_ids`, ordered by name, for a type filter's select. Empty when the
    cache is unreachable or not filled yet (a page then offers a number box)."""
    try:
        return configured.read_model().device_types(org_ids)
    except redis.RedisError as error:
        log.warning("fleet cache unreachable, no device types: %s", error)
        return {}


# --- one device ------------------------------------------------------------------


# Any age: `max_age` for reads that take the cached copy however old it is.
ANY_AGE = timedelta.max
# Seconds a service waits for a fetch of the same device already in flight.
SERVICE_REFRESH_WAIT = 6.0


def device_detail(
    *,
    device_id: int,
    org_ids: frozenset[int] | None,
    max_age: timedelta | None = None,
    detail: bool = False,
    kept_detail: bool = False,
) -> DeviceDetail | None:
    """One device, or None when it does not exist, is outside `org_ids` or outside
    the dashboard's own token (a 404, the same for all three).

    From the cache when its data is at most `max_age` old (default: the stale
    threshold of the banner; `ANY_AGE`: however old) and, with `detail`, holds
    the detail-only fields; otherwise fetched (without update_status, with the
    pending entries' values) once for all concurrent readers and written back to
    the cache. If that fetch fails, the cached copy is answered `stale` with the
    reason in `error`; with no cached copy, `device` is None and `error` says why.

    With `kept_detail`, a copy answered without the detail-only fields (the pollers
    read lists, which lack them) takes them from the device's last detail record kept
    (`ReadModel.kept_detail`), if that was read while the device was in the same
    organization; `detail_kept` then says when it was read.
    """
    if max_age is None:
        max_age = timedelta(seconds=configured.poll_interval() * freshness.STALE_AFTER_INTERVALS)
    try:
        model = configured.read_model()
        cached = model.get_device(device_id)
    except redis.RedisError as error:
        log.warning("fleet cache unreachable, reading device %s upstream: %s", device_id, error)
        return _upstream_detail(device_id, org_ids)
    if cached is not None and not _allowed(cached.device, org_ids):
        return None
    if (
        cached is not None
        and _now() - cached.as_of <= max_age
        and (not detail or has_detail_fields(cached.device))
    ):
        answer = DeviceDetail(cached.device, cached.as_of)
        return _with_kept_detail(model, answer) if kept_detail else answer
    try:
        device = polling.refresh_device(
            model=model,
            api_factory=configured.degraded_upstream(),
            device_id=device_id,
            update_status=False,
            # A page waits this long at most for another caller's fetch of the device.
            wait=PAGE_REFRESH_WAIT,
        )
    except (errors.NotFound, errors.Forbidden):
        return None
    except (errors.ControlAPIError, polling.RefreshTimeout, redis.RedisError) as error:
        message = _words("Could not read the device from the control API:", error)
        if cached is not None:
            answer = DeviceDetail(
                cached.device, cached.as_of, error=message, stale=True, reason=str(error)
            )
            return _with_kept_detail(model, answer) if kept_detail else answer
        return DeviceDetail(None, None, error=message, reason=str(error))
    if not _allowed(device, org_ids):
        return None
    return DeviceDetail(device, _now())


def _with_kept_detail(model, answer: DeviceDetail) -> DeviceDetail:
    """`answer` with the detail-only fields of the device's kept detail record, when
    its copy lacks them. The kept record must be of the same organization as the
    copy, which the caller has already checked against the user's scope."""
    device = answer.device
    if has_detail_fields(device):
        return answer
    try:
        kept = model.kept_detail(device.id)
    except redis.RedisError as error:
        log.warning("could not read the kept detail of device %s: %s", device.id, error)
        return answer
    if (
        kept is None
        or kept.device.organization_id != device.organization_id
        or not has_detail_fields(kept.device)
    ):
        return answer
    fields = {name: getattr(kept.device, name) for name in DETAIL_ONLY_FIELDS}
    return replace(answer, device=msgspec.structs.replace(device, **fields), detail_kept=kept.as_of)


def device_for_user(
    *,
    user,
    device_id: int,
    action: str = tenancy.VIEW,
    detail: bool = True,
    kept_detail: bool = False,
) -> DeviceDetail:
    """The device for a page or a service acting on it, within the user's
    organizations for `action` (checked on the organization the device really has).

    The cached copy however old (pages show its age and offer a refresh); with
    `detail`, one upstream read if the cached copy lacks the detail-only fields; with
    `kept_detail`, those of the last detail record read when the copy lacks them.
    Raises Http404 when the device is unknown or outside the scope, and
    DeviceUnavailable when it is in no cache and the upstream could not be read.
    """
    scope = tenancy.scope_for(user, action)
    read = device_detail(
        device_id=device_id,
        org_ids=scope.org_ids_or_none(),
        max_age=ANY_AGE,
        detail=detail,
        kept_detail=kept_detail,
    )
    if read is None:
        raise Http404("No such device.")
    if read.device is None:
        raise DeviceUnavailable(read.error)
    return read


def fetch_device(device_id: int, *, update_status: bool = False) -> Device:
    """A fresh read from the upstream (pending values included) for a service,
    shared with concurrent readers of the same device and written to the cache.

    Raises the upstream's ControlAPIError, or polling.RefreshTimeout.
    """
    try:
        return polling.refresh_device(
            model=configured.read_model(),
            api_factory=configured.degraded_upstream(),
            device_id=device_id,
            update_status=update_status,
            wait=SERVICE_REFRESH_WAIT,
        )
    except redis.RedisError:
        # Without Redis there is nothing to share: read it directly.
        with configured.degraded_upstream()() as api:
            return api.get_device(device_id, pending=True, update_status=update_status)


def firmware_images(*, device: Device, org_ids: frozenset[int] | None) -> list[FirmwareSeen]:
    """Firmware images to suggest for `device`: those its type's devices in `org_ids` report
    in the cache, and its own. Empty when nothing is known; any image id may still be typed."""
    seen: list[FirmwareSeen] = []
    if device.type is not None:
        try:
            seen = configured.read_model().firmware_images(device.type, org_ids)
        except redis.RedisError as error:
            log.warning("fleet cache unreachable, no firmware images: %s", error)
    own = device.firmware_image
    if own is not None and all(s.image != own for s in seen):
        version = None if device.firmware_image_is_pending else device.software_version
        seen = sorted([*seen, FirmwareSeen(own, version, 1)], reverse=True)
    return seen


def forget_device(device_id: int) -> None:
    """Drop a device the upstream no longer has from the cache."""
    try:
        configured.read_model().remove_devices([device_id])
    except redis.RedisError as error:
        log.warning("could not drop device %s from the cache: %s", device_id, error)


def _upstream_detail(device_id: int, org_ids: frozenset[int] | None) -> DeviceDetail | None:
    try:
        with configured.degraded_upstream()() as api:
            device = api.get_device(device_id, pending=True)
    except (errors.NotFound, errors.Forbidden):
        return None
    except errors.ControlAPIError as error:
        message = _words(
            "The fleet cache is unavailable and the control API could not be read either:",
            error,
        )
        return DeviceDetail(None, None, degraded=True, error=message)
    if not _allowed(device, org_ids):
        return None
    return DeviceDetail(device, _now(), degraded=True)


def _allowed(device: Device, org_ids: frozenset[int] | None) -> bool:
    # Same rule as tenancy.OrgScope.allows: a device of no organization is for
    # all-organization staff only.
    return org_ids is None or device.organization_id in org_ids


# --- freshness and health ----------------------------------------------------------


def fleet_banner(
    now: datetime | None = None, *, snapshot: FleetSnapshot | None = None
) -> Banner | None:
    """The banner the page layout shows: None while the fleet data is fresh.

    For `overview.context_processors.banner`; never raises, never calls the upstream.
    `snapshot`: the request's (`fleet_snapshot`), or read here. The poll's health is
    read only when the banner needs it (no snapshot, or a stale one).
    """
    now = now or _now()
    snapshot = snapshot or fleet_snapshot()
    if snapshot.unreachable:
        return freshness.unreachable_banner()
    interval = configured.poll_interval()
    if not freshness.needs_health(snapshot.info, now=now, interval=interval):
        return None
    try:
        health = configured.read_model().poll_health(polling.FLEET)
    except redis.RedisError:
        return freshness.unreachable_banner()
    return freshness.banner_for(now=now, snapshot=snapshot.info, health=health, interval=interval)


def poll_health() -> dict[str, PollHealth] | None:
    """Both pollers' health for the operations panel; None when Redis is unreachable."""
    try:
        model = configured.read_model()
        return {poll: model.poll_health(poll) for poll in (polling.FLEET, polling.PROFILES)}
    except redis.RedisError:
        return None


# --- history -----------------------------------------------------------------------

_NO_HISTORY = "History is unavailable while the fleet cache (Redis) is unreachable."


def transitions(
    *, org_ids: frozenset[int] | None, since: datetime, device_id: int | None = None
) -> History:
    try:
        found: list[Transition] = configured.read_model().transitions_since(
            since, device_id=device_id, org_ids=org_ids
        )
    except redis.RedisError:
        return History(degraded=True, error=_NO_HISTORY)
    return History(items=found)


def flapping_devices(
    *,
    org_ids: frozenset[int] | None,
    min_transitions: int = FLAP_MIN_TRANSITIONS,
    now: datetime | None = None,
) -> History:
    try:
        found: list[Flapper] = configured.read_model().flapping_devices(
            now=now or _now(), min_transitions=min_transitions, org_ids=org_ids
        )
    except redis.RedisError:
        return History(degraded=True, error=_NO_HISTORY)
    return History(items=found)


def org_counts_series(
    *, org_ids: frozenset[int] | None, since: datetime, until: datetime | None = None
) -> History:
    try:
        series: dict[int | str, list[CountPoint]] = configured.read_model().org_counts_series(
            since=since, until=until or _now(), org_ids=org_ids
        )
    except redis.RedisError:
        return History(items={}, degraded=True, error=_NO_HISTORY)
    return History(items=series)


# --- connection profiles -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProfileList:
    items: list[Profile]
    as_of: datetime | None
    degraded: bool = False
    error: str | None = None


def profile_list() -> ProfileList:
    """The profile snapshot; from the upstream's list (no detail) when it is missing."""
    try:
        snapshot = configured.read_model().read_profiles()
    except redis.RedisError:
        snapshot = None
        degraded = True
    else:
        degraded = False
        if snapshot is not None:
            return ProfileList(snapshot.items, snapshot.as_of)
    try:
        with configured.degraded_upstream()() as api:
            items = list(api.iter_profiles())
    except errors.ControlAPIError as error:
        message = _words("Connection profiles could not be read:", error)
        return ProfileList([], None, degraded=degraded, error=message)
    return ProfileList(items, _now(), degraded=degraded)
