"""Benchmark: time to ingest the whole fleet into Redis, against the floor.

The floor is the same HTTP requests (same pages, same parallelism, update_status
and pending on) made by a bare loop that reads and discards the bodies: what
fetching alone costs. The simulator runs in this process (latency 0) by default;
with --simulator-process it runs as its own process, as the real upstream is
another machine (its CPU then no longer shares the poller's interpreter).
The poll reads and stores its pages in --processes page writer processes (default:
one per CPU, as POLL_PROCESSES), started before the timed rounds as a running
worker has them; --processes 0 does it in this process.

    .venv/bin/python bench/poll.py [--sizes 1000,10000,100000] [--parallel 8] [--rounds 3]
                                   [--simulator-process] [--processes N]

With --freshness it measures instead what the dashboard can promise at the
simulator's default latency (250 ms added to every update_status request): the
duration of a full poll and of an incremental poll (changes since the last one).

    .venv/bin/python bench/poll.py --freshness [--sizes ...] [--parallel 8]

With --breakdown it times, on one thread and per device (CPU time of this
process), the stages of the poll's path that the floor does not pay: reading a
page body into its rows (device_pages.read_device_cache_page: straight into records,
each device's row JSON included), the index entry (fleet.store.indexes.index_entry), and
the whole write of a snapshot (write_page of every page through a page writer's
Redis client, adopting it, then publish: index entries, command encoding; Redis's
own work excluded).

    .venv/bin/python bench/poll.py --breakdown [--sizes 100000]
"""

import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import requests
from fleet.page_writers import PageWriters, writer_client
from fleet_cache_setup import (
    REDIS_URL,
    TOKEN,
    api_factory,
    fresh_model,
    report,
    simulator,
    simulator_process,
    sizes,
)

from controlapi.device_pages import read_device_cache_page
from fleet.polling import PollConfig, poll_fleet
from fleet.store.indexes import index_entry
from fleet.store.writes import write_page

PAGE = 100  # the upstream's maximum page size
CPUS = os.cpu_count() or 1  # page writer processes by default, as POLL_PROCESSES
DEFAULT_LATENCY_MS = 250  # the simulator's default for update_status requests


def floor(sim, devices: int, parallel: int) -> float:
    sessions = {}  # one per thread, as the poller has one client per thread
    url = f"{sim.api_url}/inventory_device/"
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}

    def fetch(offset):
        session = sessions.setdefault(threading.get_ident(), requests.Session())
        params = {"limit": PAGE, "offset": offset, "update_status": "true", "pending": "true"}
        response = session.get(url, params=params, headers=headers, timeout=60)
        response.raise_for_status()
        return len(response.content)

    started = time.perf_counter()
    fetch(0)  # the first page, alone, as the poll does (it gives the count)
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        list(pool.map(fetch, range(PAGE, devices, PAGE)))
    elapsed = time.perf_counter() - started
    for session in sessions.values():
        session.close()
    return elapsed


def ingest(sim, parallel: int, writers: PageWriters | None) -> float:
    config = PollConfig(page_size=PAGE, parallel=parallel)
    with fresh_model() as model:
        started = time.perf_counter()
        poll_fleet(
            model=model, api_factory=api_factory(sim), config=config, mode="full", writers=writers
        )
        return time.perf_counter() - started


def freshness(devices: int, parallel: int, writers: PageWriters | None) -> None:
    config = PollConfig(page_size=PAGE, parallel=parallel)
    with simulator(devices, latency_ms=DEFAULT_LATENCY_MS) as sim, fresh_model() as model:
        factory = api_factory(sim)
        started = time.perf_counter()
        poll_fleet(model=model, api_factory=factory, config=config, mode="full", writers=writers)
        full = time.perf_counter() - started
        started = time.perf_counter()
        report_ = poll_fleet(model=model, api_factory=factory, config=config, mode="incremental")
        incremental = time.perf_counter() - started
    report(f"poll_full_at_default_latency_{devices}", full, "s")
    report(f"poll_incremental_at_default_latency_{devices}", incremental, "s")
    report(f"poll_incremental_changed_devices_{devices}", report_.devices, "devices")


def breakdown(devices: int) -> None:
    with simulator(devices) as sim:
        headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
        with requests.Session() as session:
            bodies = [
                session.get(
                    f"{sim.api_url}/inventory_device/",
                    params={
                        "limit": PAGE,
                        "offset": offset,
                        "update_status": "true",
                        "pending": "true",
                    },
                    headers=headers,
                    timeout=60,
                ).content
                for offset in range(0, devices, PAGE)
            ]

    def per_device(work):
        started = time.process_time()
        result = work()
        return (time.process_time() - started) / devices * 1e6, result

    read, pages = per_device(lambda: [read_device_cache_page(body) for body in bodies])
    index, _ = per_device(lambda: [index_entry(row.device) for page in pages for row in page])
    with fresh_model() as model:
        started_at = datetime.now(UTC)
        builder = model.new_snapshot(started_at, abandon_after=timedelta(hours=1))
        client = writer_client(REDIS_URL)

        def write():
            for page in pages:
                builder.adopt(write_page(client, model.keys.p, builder.generation, page.items))
            builder.publish()

        snapshot, _ = per_device(write)
    report(f"poll_cpu_read_page_{devices}", read, "us/device")
    report(f"poll_cpu_index_entry_{devices}", index, "us/device")
    report(f"poll_cpu_snapshot_write_{devices}", snapshot, "us/device")


def main(argv: list[str]) -> None:
    parallel = int(argv[argv.index("--parallel") + 1]) if "--parallel" in argv else 8
    if "--breakdown" in argv:
        for devices in sizes(argv, default="100000"):
            breakdown(devices)
        return
    processes = int(argv[argv.index("--processes") + 1]) if "--processes" in argv else CPUS
    # The page writers of a running Celery worker are started by its first poll and
    # kept; here they are started before anything is timed.
    writers = PageWriters(REDIS_URL, processes) if processes > 0 else None
    if writers is not None:
        writers.start()
    report("poll_page_writer_processes", processes, "processes")
    if "--freshness" in argv:
        for devices in sizes(argv):
            freshness(devices, parallel, writers)
        return
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    separate = "--simulator-process" in argv
    start_simulator = simulator_process if separate else simulator
    suffix = "_separate_simulator" if separate else ""
    for devices in sizes(argv):
        with start_simulator(devices) as sim:
            floor(sim, devices, parallel)  # warm up connections and caches
            floors, ingests = [], []
            for _ in range(rounds):
                floors.append(floor(sim, devices, parallel))
                ingests.append(ingest(sim, parallel, writers))
        best_floor, best_ingest = min(floors), min(ingests)
        report(f"poll_floor_{devices}{suffix}", best_floor, "s")
        report(f"poll_ingest_{devices}{suffix}", best_ingest, "s")
        report(f"poll_ratio_{devices}{suffix}", best_ingest / best_floor, "x")
        report(f"poll_devices_per_second_{devices}{suffix}", devices / best_ingest, "devices/s")


if __name__ == "__main__":
    main(sys.argv[1:])
