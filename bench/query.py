"""Benchmark: latency of list queries over the read model at 1k, 10k and 100k devices.

A fixed mix, the same at every size (seed 7):
- filter+sort: 40 combinations of the upstream filters (status, organization,
  type, pending-only, changed-since) and the sorts (name, status, status change,
  last connection; ascending and descending), each asked 20 times at random
  pages, interleaved, as NOC screens refreshing and paging do. The first ask of
  a combination builds its cached result ("cold"); the others reuse it.
- search: 60 distinct needles taken from the fleet (parts of names, serials,
  customer ids, locations, addresses; a few that match nothing), alone or with a
  status filter. Every needle is new, so every search scans ("cold").
- built sorts (organization, type, serial, customer id, location, software: the
  sorts without an index kept by the polls), once per size: the first ask, which
  builds the sort's index from the stored rows, a later page of the same sort,
  and the built index's memory per device while it is kept (MEMORY USAGE).
- Up/Down per organization (the overview, the wall's tiles, /metrics and every
  incremental poll read it), 20 times: from the cell counts, and from the sets'
  intersections, as a generation without cell counts is counted (its cells put aside).
Each query is timed end to end through ReadModel.query (Redis round trips and
building the Device records of the page included).

    .venv/bin/python bench/query.py [--sizes 1000,10000,100000] [--passes 3]
"""

import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import timedelta

from fleet_cache_setup import cached_fleet, longest_command, report, sizes

from fleet.store.keys import BUILT_SORTS, INDEXED_SORTS
from fleet.store.queries import DeviceQuery

PAGE = 50


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def filter_mix(rng, devices, as_of):
    orgs = sorted({d.organization_id for d in devices})
    types = sorted({d.type for d in devices})
    combos = []
    for _ in range(40):
        combos.append(
            dict(
                status=rng.choice([None, None, True, False]),
                organization=rng.choice([None, None, *orgs]),
                type=rng.choice([None, None, None, *types]),
                pending_only=rng.random() < 0.1,
                changed_since=as_of - timedelta(hours=rng.choice([1, 6, 24]))
                if rng.random() < 0.15
                else None,
                sort=rng.choice(INDEXED_SORTS),
                descending=rng.random() < 0.5,
            )
        )
    asks = [(i, combo) for i, combo in enumerate(combos) for _ in range(20)]
    rng.shuffle(asks)
    return asks


def search_needles(rng, devices):
    picks = [
        lambda d: d.name[-6:],
        lambda d: d.serial_number[4:10],
        lambda d: d.customer_id[-6:],
        lambda d: d.location_name.split()[0],
        lambda d: d.address.rsplit(".", 1)[0] if d.address else "10.0",
    ]
    needles = set()
    while len(needles) < 55:
        needles.add(rng.choice(picks)(rng.choice(devices)).lower())
    needles |= {f"no-such-thing-{n}" for n in range(5)}
    return sorted(needles)


def timed(model, query):
    started = time.perf_counter()
    model.query(query, None)
    return (time.perf_counter() - started) * 1000


def one_pass(model, devices_count):
    """The whole mix once, from cold caches. Returns (cold, warm, search) timings."""
    # A new snapshot version, as after a poll that changed something: every
    # cached result and search is cold again.
    model.client.hincrby(model.keys.current, "version", 1)
    rng = random.Random(7)
    sample = model.query(DeviceQuery(limit=500), None).items
    as_of = model.snapshot_info().as_of
    cold, warm, seen = [], [], set()
    for index, combo in filter_mix(rng, sample, as_of):
        deep = rng.random() < 0.3
        offset = rng.randrange(0, max(devices_count // 4, 1), PAGE) if deep else 0
        elapsed = timed(model, DeviceQuery(offset=offset, limit=PAGE, **combo))
        (warm if index in seen else cold).append(elapsed)
        seen.add(index)
    searches = []
    for needle in search_needles(rng, sample):
        status = rng.choice([None, None, True, False])
        searches.append(timed(model, DeviceQuery(search=needle, status=status, limit=PAGE)))
    return cold, warm, searches


def built_sorts(model, devices_count):
    """The first ask of each built sort (it builds the index), a later page of it, and
    the index's bytes per device: medians over the six sorts."""
    first, later, memory = [], [], []
    model.client.slowlog_reset()
    for sort in BUILT_SORTS:
        first.append(timed(model, DeviceQuery(sort=sort, limit=PAGE)))
        report(f"query_built_sort_first_{sort}_{devices_count}", first[-1], "ms")
        later.append(timed(model, DeviceQuery(sort=sort, offset=PAGE * 10, limit=PAGE)))
        info = model.snapshot_info()
        key = model.keys.built_sort(info.generation, info.sort_version, sort)
        if sort != "organization":  # ordered by id here: no order given
            used = model.client.memory_usage(key, samples=0) or 0
            memory.append(used / devices_count)
    report(f"query_built_sort_first_{devices_count}", statistics.median(first), "ms")
    report(f"query_built_sort_first_max_{devices_count}", max(first), "ms")
    report(f"query_built_sort_later_{devices_count}", statistics.median(later), "ms")
    report(f"query_built_sort_bytes_per_device_{devices_count}", statistics.median(memory), "B")
    # Redis answers nobody while one command runs: every page waits this long.
    longest, name = longest_command(model.client)
    report(
        f"query_built_sort_redis_longest_command_{devices_count}",
        longest,
        f"ms ({name})" if name else "ms (none past SLOWLOG's 10 ms)",
    )


def org_counts(model, devices_count, times=20):
    k = model.keys
    cells = k.cells(model.snapshot_info().generation)

    def median_ms():
        values = []
        for _ in range(times):
            started = time.perf_counter()
            model.current_org_counts()
            values.append((time.perf_counter() - started) * 1000)
        return statistics.median(values)

    report(f"query_org_counts_{devices_count}", median_ms(), "ms")
    model.client.rename(cells, cells + ":aside")
    try:
        report(f"query_org_counts_from_sets_{devices_count}", median_ms(), "ms")
    finally:
        model.client.rename(cells + ":aside", cells)


def run(devices_count, passes):
    """Each figure is the median over `passes` passes of the mix: this machine is
    shared, and one busy moment moves a single pass's p95 a lot."""
    with cached_fleet(devices_count) as (_, model):
        figures = defaultdict(list)
        for _ in range(passes):
            cold, warm, searches = one_pass(model, devices_count)
            everything = cold + warm
            figures["filter_sort_p50"].append(statistics.median(everything))
            figures["filter_sort_p95"].append(percentile(everything, 95))
            figures["filter_sort_warm_p95"].append(percentile(warm, 95))
            figures["filter_sort_cold_p50"].append(statistics.median(cold))
            figures["filter_sort_cold_p95"].append(percentile(cold, 95))
            figures["search_p50"].append(statistics.median(searches))
            figures["search_p95"].append(percentile(searches, 95))
        built_sorts(model, devices_count)
        org_counts(model, devices_count)
    for name, values in figures.items():
        report(f"query_{name}_{devices_count}", statistics.median(values), "ms")
    return statistics.median(figures["filter_sort_p95"])


def main(argv):
    passes = int(argv[argv.index("--passes") + 1]) if "--passes" in argv else 3
    results = {n: run(n, passes) for n in sizes(argv)}
    if 1000 in results and 100000 in results:
        report("query_filter_sort_p95_ratio_100k_to_1k", results[100000] / results[1000], "x")


if __name__ == "__main__":
    main(sys.argv[1:])
