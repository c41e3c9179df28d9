"""Reads of the fleet's lists for pages: a page of a query with its counts, the
types present, every device of a query.

Every answer says how old its data is (`as_of`) and whether it came the degraded way
(`degraded`): when Redis is unreachable, lists are read from the upstream directly
(never with update_status, which is too slow for a page), and what the upstream cannot
do (search, sorting, the pending-only filter) is said in `notes`. When the upstream
fails as well, the answer is empty with an `error` in words. Every read takes `org_ids`
(`tenancy.scope_for(user, action).org_ids_or_none()`, None: every organization) and
applies it inside the query.

`all_matching` walks every page of a query (exports, "all N matching" bulk jobs,
the triage board's pending list); `organization_names` names organization ids;
`upstream_device_list` is the benchmark's page without the cache.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import redis
from django.db.models.functions import Lower

from accounts.models import Organization
from controlapi import errors
from controlapi.records import Device
from devices import configured
from devices.fleet_health import FleetSnapshot, fleet_snapshot
from devices.selectors import in_words
from fleet.store.current import SnapshotInfo
from fleet.store.queries import MAX_PAGE_SIZE, DevicePage, DeviceQuery

log = logging.getLogger(__name__)

# The upstream's own page-size cap: a degraded list cannot ask for more.
UPSTREAM_MAX_PAGE = 100

NOTE_UPSTREAM_ORDER = "Devices are shown in the control API's order: sorting needs the cache."
NOTE_NO_SEARCH = "Search is not applied: it needs the fleet cache."
NOTE_NO_PENDING = "The pending-only filter is not applied: it needs the fleet cache."
NOTE_FILLING = "The fleet cache is still being filled; this page reads the control API."


def _now() -> datetime:
    return datetime.now(UTC)


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
    return replace(counted, items=[])


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
        message = in_words(
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


def iter_matching(org_ids: frozenset[int] | None, query: DeviceQuery) -> Iterator[Device]:
    """Every device of `query` (its sort, not its page), a read-model page at a time.

    Pages are read by offset: a poll that switches generations between two pages
    can move a device across a page edge. Raises redis.RedisError.
    """
    model = configured.read_model()
    query = with_organization_order(query)
    offset = 0
    while True:
        page = model.query(replace(query, offset=offset, limit=MAX_PAGE_SIZE), org_ids)
        yield from page.items
        offset += MAX_PAGE_SIZE
        if offset >= page.total or not page.items:
            return


def all_matching(org_ids: frozenset[int] | None, query: DeviceQuery) -> list[Device]:
    return list(iter_matching(org_ids, query))


def organization_names(org_ids: Iterable[int | None]) -> dict[int, str]:
    """Organization id -> today's name (a placeholder for one the dashboard has no row of)."""
    ids = {o for o in org_ids if o is not None}
    names = dict(
        Organization.objects.filter(upstream_id__in=ids).values_list("upstream_id", "name")
    )
    return {o: names.get(o, Organization.placeholder_name(o)) for o in ids}


NOTE_NO_CACHE = "Benchmark page: read from the control API on this request, not from the cache."


def upstream_device_list(
    *, org_ids: frozenset[int] | None, query: DeviceQuery, snapshot=None
) -> DeviceList:
    """The list as a dashboard without the fleet cache would build it: the upstream on
    every request (BENCHMARK_VIEWS only). It is the degraded mode's read, marked not
    degraded so the page renders (and counts) as the cached page does. `snapshot` (the
    cached page's) is not used."""
    # The degraded read: one upstream path for both.
    answer = _upstream_list(query, org_ids, notes=(NOTE_NO_CACHE,))
    return replace(answer, degraded=False)
