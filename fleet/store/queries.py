"""List queries: the query and its answer, the plan chosen for it (`plan_query`, plain
Python that reads nothing), and its execution by one page script (fleet/lua/page_*.lua).

The plans:
- "page_index": no filter; the page is a rank range of the sort index itself.
- "page_range": one status in name or status order; a score range of the status index.
- "page_filtered": any other filter. Which script runs it depends on what Redis holds,
  so one pipelined read gathers those facts (`read_filtered_facts`) and plain Python
  chooses (`choose_filtered_plan`): "page_cached" pages the cached intersection of the
  sort index and the filters when there is one, else "page_walk" walks the sort index
  (plain sets only) if that looks cheaper, else "page_materialise" builds the
  intersection. A script whose premise changed after the read (the cached result
  expired, or the walk passed its budget) returns REPLAN, and the query then runs
  "page_materialise", which answers in every case.
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
# The walk's budget is at least this, even below the smallest filter's size: a few
# chunks of the sort index cost less than materialising anything.
MIN_WALK_BUDGET = 2_000
MAX_PAGE_SIZE = 500
# What a filtered page script returns when the plan chosen for it no longer fits.
REPLAN = b"replan"


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

    # "page_index" or "page_range" (fleet/lua/<script>.lua), or "page_filtered"
    # (one of the scripts `choose_filtered_plan` names).
    script: str
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


@dataclass(frozen=True, slots=True)
class FilteredFacts:
    """What Redis holds for one filtered query, read before choosing its script."""

    total: int | None  # the cached count of matching devices; None: not cached
    cached: bool  # the intersection is materialised
    sort_size: int = 0  # devices in the sort index (read only when a walk is allowed)
    filter_sizes: tuple[int, ...] = ()  # each filter set's size (likewise)


@dataclass(frozen=True, slots=True)
class FilteredPlan:
    """The script of a filtered query: None when its cached counts say nothing
    matches; `budget`: the most candidates a walk looks at."""

    script: str | None
    budget: int = 0


def choose_filtered_plan(
    facts: FilteredFacts, *, first: int, limit: int, walk: int
) -> FilteredPlan:
    """The script for a filtered page of `limit` devices from rank `first`; `walk`: the
    walk's budget, 0 when the filters do not allow a walk."""
    if facts.total == 0:
        return FilteredPlan(None)  # an empty intersection is not stored: its counts say so
    if facts.cached:
        return FilteredPlan("page_cached")
    if walk > 0:
        # The walk costs (first + limit) / the share of the fleet that matches (filters
        # taken as independent); materialising costs about the smallest filter's size,
        # so walk only when cheaper than that, and never further.
        size = facts.sort_size
        share, smallest = 1.0, size
        for n in facts.filter_sizes:
            smallest = min(smallest, n)
            share = share * n / max(size, 1)
        budget = min(walk, max(smallest, MIN_WALK_BUDGET))
        if share > 0 and (first + limit) / share <= budget:
            return FilteredPlan("page_walk", budget)
    return FilteredPlan("page_materialise")


def read_filtered_facts(client: redis.Redis, plan: QueryPlan) -> FilteredFacts:
    """The facts `choose_filtered_plan` needs for the filtered `plan`, in one round trip."""
    result, counts, _, _, sort_key, _, _, *filters = plan.keys
    pipe = client.pipeline(transaction=False)
    pipe.hget(counts, "total")
    pipe.exists(result)
    walk = plan.args["walk"] > 0
    if walk:
        pipe.zcard(sort_key)
        for f in filters:
            pipe.scard(f)
    total, cached, *sizes = pipe.execute()
    return FilteredFacts(
        total=None if total is None else int(total),
        cached=bool(cached),
        sort_size=sizes[0] if walk else 0,
        filter_sizes=tuple(sizes[1:]),
    )


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
        if plan.script == "page_filtered":
            total, up, down, _, rows = self._filtered(plan)
        else:
            total, up, down, _, rows = self.scripts.call(plan.script, list(plan.keys), plan.args)
        return DevicePage(
            items=[device_of(row) for row in rows if row],
            total=int(total),
            counts={"up": int(up), "down": int(down)},
            as_of=info.as_of,
        )

    def _filtered(self, plan: QueryPlan) -> list[Any]:
        """The reply of the script chosen for the filtered `plan`."""
        args = plan.args
        chosen = choose_filtered_plan(
            read_filtered_facts(self.client, plan),
            first=args["first"],
            limit=args["last"] - args["first"] + 1,
            walk=args["walk"],
        )
        if chosen.script is None:
            return [0, 0, 0, [], []]
        keys = list(plan.keys)
        reply = self.scripts.call(chosen.script, keys, {**args, "budget": chosen.budget})
        if reply == REPLAN:
            reply = self.scripts.call("page_materialise", keys, args)
        return reply

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
