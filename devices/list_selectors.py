"""Reads the fleet pages need beyond devices.selectors, built on the public ReadModel.

`all_matching` walks every page of a query (exports, "all N matching" bulk jobs,
the triage board's pending list); `organization_names` names organization ids;
`upstream_device_list` is the benchmark's page without the cache.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from accounts.models import Organization
from controlapi.records import Device
from devices import configured, selectors
from fleet.read_model import MAX_PAGE_SIZE, DeviceQuery


def iter_matching(org_ids: frozenset[int] | None, query: DeviceQuery) -> Iterator[Device]:
    """Every device of `query` (its sort, not its page), a read-model page at a time.

    Pages are read by offset: a poll that switches generations between two pages
    can move a device across a page edge. Raises redis.RedisError.
    """
    model = configured.read_model()
    query = selectors.with_organization_order(query)
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
) -> selectors.DeviceList:
    """The list as a dashboard without the fleet cache would build it: the upstream on
    every request (BENCHMARK_VIEWS only). It is the degraded mode's read, marked not
    degraded so the page renders (and counts) as the cached page does. `snapshot` (the
    cached page's) is not used."""
    # The degraded read is private to selectors; reusing it keeps one upstream path.
    answer = selectors._upstream_list(query, org_ids, notes=(NOTE_NO_CACHE,))
    return replace(answer, degraded=False)
