"""Benchmark: Redis memory per cached device, against the size of the device's JSON.

After one full poll, MEMORY USAGE (SAMPLES 0: every element counted, not an
estimate) over every key of the current generation: the device hash, the sort
indexes, the status/organization/type/pending sets, the serial index, the
search text and its trigram index, plus the pending entries' first-seen times (one hash across
generations). The JSON size is the length of each device's cache JSON as stored
(Device.to_cache), read a slice of the hash at a time (HSCAN + HSTRLEN), so a
million devices' JSON is never held in this process at once. `memory_used_memory_N`
is Redis's own INFO used_memory after the poll less before it: what the machine must
hold (allocator overhead included); only a Redis of the run's own gives it cleanly
(REDIS_URL of a throwaway server).

    .venv/bin/python bench/memory.py [--sizes 1000,10000,100000]
"""

import sys
from collections import defaultdict

from fleet_cache_setup import cached_fleet, report, sizes, used_memory


def kind_of(key: str) -> str:
    if ":sort:" in key:
        return "sort_indexes"
    if ":text:" in key or key.endswith(":blocks"):
        return "search_text"
    if key.endswith((":grams", ":digests")):
        return "search_index"
    if key.endswith((":dev", ":fresh")):
        return "device_json"
    if key.endswith(":serial"):
        return "serial_index"
    if key.endswith(":pending_seen"):
        return "pending_first_seen"
    return "filter_sets"


def json_length(client, key) -> int:
    """Total length of the hash's values, a page of fields at a time."""
    total, cursor = 0, 0
    while True:
        cursor, fields = client.hscan(key, cursor, count=5000)
        with client.pipeline(transaction=False) as pipe:
            for field in fields:
                pipe.hstrlen(key, field)
            total += sum(pipe.execute())
        if cursor == 0:
            return total


def run(devices: int) -> None:
    before = used_memory()
    with cached_fleet(devices) as (_, model):
        client, keys = model.client, model.keys
        generation = model.snapshot_info().generation
        names = [k.decode() for k in client.scan_iter(match=keys.gen(generation, "*"), count=5000)]
        names += [keys.current, keys.pending_seen]
        with client.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.memory_usage(name, samples=0)
            usages = pipe.execute()
        by_kind = defaultdict(int)
        for name, usage in zip(names, usages, strict=True):
            by_kind[kind_of(name)] += usage or 0
        json_bytes = json_length(client, keys.dev(generation))
        report(f"memory_used_memory_{devices}", used_memory() - before, "bytes")
        total = sum(by_kind.values())
        report(f"memory_bytes_per_device_{devices}", total / devices, "bytes")
        report(f"memory_json_bytes_per_device_{devices}", json_bytes / devices, "bytes")
        report(f"memory_ratio_{devices}", total / json_bytes, "x")
        for kind, usage in sorted(by_kind.items()):
            report(f"memory_{kind}_per_device_{devices}", usage / devices, "bytes")


def main(argv):
    for devices in sizes(argv):
        run(devices)


if __name__ == "__main__":
    main(sys.argv[1:])
