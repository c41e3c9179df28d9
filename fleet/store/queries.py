"""List queries: the query and its answer, the plan chosen for it (`plan_query`, plain
Python that reads nothing), and its execution by one page script (fleet/lua/page_*.lua).

The plans:
- "page_index": no filter; the page is a rank range of the sort index itself.
- "page_range": one status in name or status order; a score range of the status index.
- "page_filtered": any other filter; the script pages the cached intersection of the
  sort index and the filters when there is one, else walks the sort index (when the
  plan allows it: plain sets only) if that looks cheaper, else materialises the
  intersection. Which of these depends on what Redis holds at that moment, so the
  script decides it in the same atomic step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis

from controlapi.records import Device
from fleet.store.current import SnapshotInfo, snapshot_info
from fleet.store.indexes import (
    Derived,
    built_sort_key,
    normalise_search,
    scope_key,
    status_range,
)
from fleet.store.keys import SORT_INDEX, SORT_KEYS, Keys
from fleet.store.lookups import Lookups
from fleet.store.scripts import scripts
from fleet.store.values import device_of, digest, to_json

# A filtered page walks at most this many devices of the sort index before the
# query materialises the intersection instead (a filter matching few devices).
SCAN_BUDGET = 5_000
MAX_PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class DeviceQuery:
    """A list query: every upstream filter, text search, a sort and a page."""

    status: bool | None = None  # True: Up, False: Down
    organization: int | None = None
    type: int | None = None
    changed_since: datetime | None = None
    pending_only: bool = False
    search: str = ""
    sort: str = "name"
    descending: bool = False
    offset: int = 0
    limit: int = 50
    # The organization sort's order of organization ids (their names are the
    # dashboard's); organizations not listed follow, by id.
    organization_order: tuple[int, ...] = ()

    def __post_init__(self):
        if self.sort not in SORT_KEYS:
            raise ValueError(f"unknown sort {self.sort!r}; expected one of {', '.join(SORT_KEYS)}")
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise ValueError(f"page size must be between 1 and {MAX_PAGE_SIZE}")
        if self.offset < 0:
            raise ValueError("offset must not be negative")
        if self.changed_since is not None and self.changed_since.tzinfo is None:
            raise ValueError("changed_since must be timezone-aware")


@dataclass(frozen=True, slots=True)
class DevicePage:
    items: list[Device]
    total: int
    counts: dict[str, int]
    as_of: datetime | None  # None: no snapshot yet


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """How one list query runs: the page script, its keys and named arguments, and the
    derived indexes to make sure of first."""

    script: str  # "page_index", "page_range" or "page_filtered" (fleet/lua/<script>.lua)
    keys: tuple[str, ...]
    args: dict[str, Any]
    sort_key: str  # the index the page follows
    scope: tuple[int, ...] = ()  # organizations whose union is one of the filters
    search: str = ""  # the normalised needle whose matches are one of the filters
    built_sort: bool = False  # the sort index is a built sort's (BUILT_SORTS)


def plan_query(
    q: DeviceQuery,
    org_ids: frozenset[int] | None,
    info: SnapshotInfo,
    keys: Keys,
    *,
    result_ttl_ms: int,
) -> QueryPlan | None:
    """The plan of `q` within the organizations `org_ids` (None: all) over the snapshot
    `info`; None when the scope leaves nothing to find. The scope is one more filter."""
    g, k = info.generation, keys
    filters: list[str] = []
    scope: tuple[int, ...] = ()
    if org_ids is not None:
        allowed = org_ids if q.organization is None else org_ids & {q.organization}
        if not allowed:
            return None
        scope = tuple(sorted(allowed))
        filters.append(scope_key(k, info, scope))
    elif q.organization is not None:
        filters.append(k.org(g, q.organization))
    if q.status is not None:
        filters.append(k.status(g, q.status))
    if q.type is not None:
        filters.append(k.type(g, q.type))
    if q.pending_only:
        filters.append(k.pending(g))
    needle = normalise_search(q.search)
    if needle:
        filters.append(k.search(g, info.version, digest(needle)))
    since = ""
    if q.changed_since is not None:
        # The window is the last filter; the page script derives it when needed.
        since = repr(q.changed_since.timestamp())
        filters.append(k.since(g, info.version, since))

    built = q.sort not in SORT_INDEX
    if built:
        order = q.organization_order if q.sort == "organization" else ()
        sort_key = built_sort_key(k, info, q.sort, order)
    else:
        sort_key = k.sort(g, q.sort)
    page = {
        "first": q.offset,
        "last": q.offset + q.limit - 1,
        "descending": q.descending,
        "status": "" if q.status is None else ("up" if q.status else "down"),
    }
    derived = {"scope": scope if len(scope) > 1 else (), "search": needle, "built_sort": built}
    if not filters:
        return QueryPlan(
            "page_index",
            (sort_key, k.dev(g), k.status(g, True), k.status(g, False)),
            page,
            sort_key,
            **derived,
        )
    if q.sort in ("name", "status") and filters == [k.status(g, bool(q.status))]:
        # One status in name order is a score range of the status index:
        # log n + page, nothing to intersect (the commonest NOC view).
        low, high = status_range(bool(q.status))
        return QueryPlan(
            "page_range",
            (k.sort(g, "status"), k.dev(g)),
            {**page, "low": low, "high": high},
            k.sort(g, "status"),
        )
    result = k.result(g, info.version, digest(to_json([sort_key, sorted(filters)])))
    # Walking the sort index needs plain sets (SMISMEMBER): not the changed-since
    # window (a sorted set) nor a fresh search result.
    plain = not needle and q.changed_since is None
    # Filters on organization, status, type and pending only: the counts are sums of
    # cells (no set operation over the matching devices).
    cells: dict[str, Any] | bool = False
    if plain:
        if org_ids is not None:
            orgs: str | list[str] = [str(o) for o in scope]
        else:
            orgs = "*" if q.organization is None else [str(q.organization)]
        cells = {
            "orgs": orgs,
            "type": "*" if q.type is None else str(q.type),
            "pending": "1" if q.pending_only else "*",
        }
    return QueryPlan(
        "page_filtered",
        (result, result + ":n", k.dev(g), k.status(g, False), sort_key, k.cells(g),
         k.sort(g, "status_change"), *filters),
        {**page, "ttl": result_ttl_ms, "walk": SCAN_BUDGET if plain else 0, "cells": cells,
         "since": since},
        sort_key,
        **derived,
    )  # fmt: skip


class Queries:
    """List queries over one client."""

    def __init__(
        self, client: redis.Redis, keys: Keys, derived: Derived, lookups: Lookups, result_ttl_ms
    ):
        self.client = client
        self.keys = keys
        self.derived = derived
        self.lookups = lookups
        self.result_ttl_ms = result_ttl_ms
        self.scripts = scripts(client)

    def query(
        self, q: DeviceQuery, org_ids: frozenset[int] | None, *, info: SnapshotInfo | None = None
    ) -> DevicePage:
        """One page of devices matching `q`, within the organizations `org_ids`
        (None: all). `info`: the snapshot to read, as the caller already read it (a
        page's reads then share one round trip); by default the current one."""
        info = info or snapshot_info(self.client, self.keys)
        if info is None:
            return DevicePage(items=[], total=0, counts={"up": 0, "down": 0}, as_of=None)
        plan = plan_query(q, org_ids, info, self.keys, result_ttl_ms=self.result_ttl_ms)
        if plan is None:
            return DevicePage(items=[], total=0, counts={"up": 0, "down": 0}, as_of=info.as_of)
        if plan.scope:
            self.derived.scope(info, plan.scope)
        if plan.search:
            self.derived.search(info, plan.search)
        if plan.built_sort:
            self._make_built_sort(info, q, plan.sort_key)
        total, up, down, _, rows = self.scripts.call(plan.script, list(plan.keys), plan.args)
        return DevicePage(
            items=[device_of(row) for row in rows if row],
            total=int(total),
            counts={"up": int(up), "down": int(down)},
            as_of=info.as_of,
        )

    def _make_built_sort(self, info: SnapshotInfo, q: DeviceQuery, key: str) -> None:
        """Make sure the built sort's index `key` is there: kept a while after each use,
        built from the generation on first use."""
        if self.derived.keep_built_sort(key):
            return
        if q.sort == "organization":
            groups = self.derived.organization_groups(info, q.organization_order)
        elif q.sort == "type":
            groups = [self.keys.type(info.generation, t) for t in self.lookups.device_types(None)]
        else:
            self.derived.store_row_order(info, q.sort, key)
            return
        self.derived.store_groups(info, groups, key)
