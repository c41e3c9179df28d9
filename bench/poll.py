"""Benchmark: time to ingest the whole fleet into Redis, against the floor.

The floor is the same HTTP requests (same pages, same parallelism, update_status
and pending on) made by a bare loop that reads and discards the bodies: what
fetching alone costs. The simulator runs in this process (latency 0) by default;
with --simulator-process it runs as its own process, as the real upstream is
another machine (its CPU then no longer shares the poller's interpreter).
The poll runs the steps of fleet.full_poll in this process (`poll_fleet`).

    .venv/bin/python bench/poll.py [--sizes 1000,10000,100000] [--parallel 8] [--rounds 3]
                                   [--simulator-process]

With --workers 1,2 the full poll runs instead as it does in production: real
`celery -A config worker --concurrency 1 -n wK@%h` processes (as many as each number
says) consume the poll's chord of page ranges; the time is from sending the poll
task to its publication. It prints, for each number of workers, the wall time, its
ratio against the floor measured in the same run, and how many ranges each worker
stored (from the workers' logs), and the longest command Redis ran meanwhile (its
SLOWLOG: Redis answers nothing else while it runs). Use --simulator-process with it:
the simulator then does not share this process's interpreter.

    .venv/bin/python bench/poll.py --workers 1,2 --simulator-process [--sizes 100000]

With --freshness it measures instead what the dashboard can promise at the
simulator's default latency (250 ms added to every update_status request): the
duration of a full poll and of an incremental poll (changes since the last one).

    .venv/bin/python bench/poll.py --freshness [--sizes ...] [--parallel 8]

With --breakdown it times, on one thread and per device (CPU time of this
process), the stages of the poll's path: fetching the bodies with the poll's client
(the simulator in its own process), reading a page body into its rows
(device_pages.read_device_cache_page: straight into records, each device's row JSON
included), the index entry (fleet.store.indexes.index_entry), writing every page
(write_page and adopting it: index entries, command encoding; Redis's own work
excluded), and publishing, for a first generation and for a second one that takes the
first one's search index over.

    .venv/bin/python bench/poll.py --breakdown [--sizes 100000]

With --cpu it splits one full poll's CPU between the processes that share the machine:
the poll's steps in this process (the second poll of the fleet, as every poll after a
worker's first is), the simulator in its own process, and Redis (its INFO cpu; nothing
else may use that Redis meanwhile). Their sum over the machine's two cores is the
shortest wall time any overlap could give, printed as a ratio to the floor measured in
the same run.

    .venv/bin/python bench/poll.py --cpu [--sizes 100000]
"""

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
import requests
from celery import Celery
from fleet_cache_setup import (
    REDIS_URL,
    TOKEN,
    api_factory,
    fresh_model,
    longest_command,
    report,
    simulator,
    simulator_process,
    sizes,
)

from controlapi.device_pages import read_device_cache_page
from fleet.full_poll import LIST_QUERY
from fleet.polling import PollConfig, poll_fleet
from fleet.store.indexes import index_entry
from fleet.store.writes import write_page

PAGE = 100  # the upstream's maximum page size
ROOT = Path(__file__).resolve().parent.parent
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


def ingest(sim, parallel: int) -> float:
    config = PollConfig(page_size=PAGE, parallel=parallel)
    with fresh_model() as model:
        started = time.perf_counter()
        poll_fleet(model=model, api_factory=api_factory(sim), config=config, mode="full")
        return time.perf_counter() - started


@contextlib.contextmanager
def celery_workers(sim, model, count: int, parallel: int):
    """`count` real Celery workers (concurrency 1, hostnames w1@, w2@...) on the bench's
    Redis and key prefix; yields their log paths once they consume and their start-up
    poll has ended."""
    logs = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        REDIS_URL=REDIS_URL,
        CONTROL_API_URL=sim.api_url,
        CONTROL_API_TOKEN=TOKEN,
        READ_MODEL_KEY_PREFIX=model.keys.p,
        DATABASE_URL=f"sqlite:///{logs / 'db.sqlite3'}",
        POLL_PAGE_SIZE=str(PAGE),
        POLL_PARALLEL_REQUESTS=str(parallel),
        DEBUG="1",  # no SECRET_KEY needed: the workers serve no page
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    processes, paths = [], []
    try:
        for n in range(1, count + 1):
            path = logs / f"w{n}.log"
            with open(path, "w") as log:
                processes.append(
                    subprocess.Popen(  # noqa: S603
                        [
                            sys.executable,
                            "-m",
                            "celery",
                            "-A",
                            "config",
                            "worker",
                            "--concurrency",
                            "1",
                            "-n",
                            f"w{n}@%h",
                            "--loglevel",
                            "INFO",
                        ],
                        cwd=ROOT,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )  # fmt: skip
                )
            paths.append(path)
        until(lambda: all("ready." in p.read_text() for p in paths), 120)
        # Each sends a start-up poll: let every one end, or it could take the lock later.
        ended = re.compile(r"tasks\.poll_fleet\[\S+\] succeeded")
        until(lambda: sum(len(ended.findall(p.read_text())) for p in paths) >= count, 3600)
        # Their start-up poll (a full one: no snapshot yet) runs first: let it end.
        until(lambda: model.snapshot_info() is not None and not poll_locked(model), 3600)
        yield paths
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 15)
        for process in processes:
            process.wait()


def until(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.05)


def poll_locked(model) -> bool:
    return bool(model.client.exists(model.keys.poll_lock("fleet")))


def ingest_with_workers(sim, model, logs: list[Path]) -> tuple[float, Counter]:
    """One full poll sent to the workers: seconds until published, ranges per worker."""
    until(lambda: not poll_locked(model), 600)  # the poll before has released its lock
    before = model.snapshot_info().generation
    started = time.perf_counter()
    with Celery(broker=REDIS_URL) as sender:  # a bare app: sending needs no Django here
        sender.send_task("devices.tasks.poll_fleet", kwargs={"mode": "full"})
    until(lambda: model.snapshot_info().generation != before, 3600)
    elapsed = time.perf_counter() - started
    generation = model.snapshot_info().generation
    ranges = Counter()
    for path in logs:
        found = re.findall(
            rf"stored range \S+ of full poll {generation} \(\d+ pages\) on (\S+)", path.read_text()
        )
        ranges.update(found)
    return elapsed, ranges


def workers_bench(argv: list[str], parallel: int) -> None:
    counts = [int(n) for n in argv[argv.index("--workers") + 1].split(",")]
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 1
    start_simulator = simulator_process if "--simulator-process" in argv else simulator
    for devices in sizes(argv, default="100000"):
        with start_simulator(devices) as sim:
            floor(sim, devices, parallel)  # warm up connections and caches
            best_floor = min(floor(sim, devices, parallel) for _ in range(rounds))
            report(f"poll_floor_{devices}", best_floor, "s")
            best_local = min(ingest(sim, parallel) for _ in range(rounds))
            report(f"poll_ingest_in_process_{devices}", best_local, "s")
            report(f"poll_ratio_in_process_{devices}", best_local / best_floor, "x")
            for count in counts:
                with fresh_model() as model, celery_workers(sim, model, count, parallel) as logs:
                    model.client.slowlog_reset()
                    runs = [ingest_with_workers(sim, model, logs) for _ in range(rounds)]
                    longest, name = longest_command(model.client)
                elapsed, ranges = min(runs, key=lambda run: run[0])
                report(
                    f"poll_redis_longest_command_{count}_workers_{devices}",
                    longest,
                    f"ms ({name})" if name else "ms (none past SLOWLOG's 10 ms)",
                )
                report(f"poll_ingest_{count}_workers_{devices}", elapsed, "s")
                report(f"poll_ratio_{count}_workers_{devices}", elapsed / best_floor, "x")
                for worker, stored in sorted(ranges.items()):
                    report(f"poll_ranges_{count}_workers_{devices}_{worker}", stored, "ranges")


def process_cpu(pid: int) -> float:
    """User and system CPU seconds of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def redis_cpu(client) -> float:
    info = client.info("cpu")
    return info["used_cpu_user"] + info["used_cpu_sys"]


def cpu_split(devices: int, parallel: int, cores: int = 2) -> None:
    config = PollConfig(page_size=PAGE, parallel=parallel)
    with simulator_process(devices) as sim, fresh_model() as model:
        floor(sim, devices, parallel)  # warm up connections and caches
        best_floor = min(floor(sim, devices, parallel) for _ in range(2))
        poll_fleet(model=model, api_factory=api_factory(sim), config=config, mode="full")
        before = time.process_time(), process_cpu(sim.pid), redis_cpu(model.client)
        started = time.perf_counter()
        poll_fleet(model=model, api_factory=api_factory(sim), config=config, mode="full")
        wall = time.perf_counter() - started
        poller = time.process_time() - before[0]
        upstream = process_cpu(sim.pid) - before[1]
        store = redis_cpu(model.client) - before[2]
    report(f"poll_floor_{devices}", best_floor, "s")
    report(f"poll_wall_{devices}", wall, "s")
    report(f"poll_cpu_poller_{devices}", poller, "s")
    report(f"poll_cpu_simulator_{devices}", upstream, "s")
    report(f"poll_cpu_redis_{devices}", store, "s")
    shortest = (poller + upstream + store) / cores
    report(f"poll_shortest_possible_on_{cores}_cores_{devices}", shortest, "s")
    report(f"poll_shortest_possible_ratio_{devices}", shortest / best_floor, "x")


def freshness(devices: int, parallel: int) -> None:
    config = PollConfig(page_size=PAGE, parallel=parallel)
    with simulator(devices, latency_ms=DEFAULT_LATENCY_MS) as sim, fresh_model() as model:
        factory = api_factory(sim)
        started = time.perf_counter()
        poll_fleet(model=model, api_factory=factory, config=config, mode="full")
        full = time.perf_counter() - started
        started = time.perf_counter()
        report_ = poll_fleet(model=model, api_factory=factory, config=config, mode="incremental")
        incremental = time.perf_counter() - started
    report(f"poll_full_at_default_latency_{devices}", full, "s")
    report(f"poll_incremental_at_default_latency_{devices}", incremental, "s")
    report(f"poll_incremental_changed_devices_{devices}", report_.devices, "devices")


def breakdown(devices: int) -> None:
    def per_device(work):
        started = time.process_time()
        result = work()
        return (time.process_time() - started) / devices * 1e6, result

    def fetch_all():
        with api_factory(sim)() as api:
            return [
                api.read_device_page(lambda body: body, limit=PAGE, offset=offset, **LIST_QUERY)
                for offset in range(0, devices, PAGE)
            ]

    with simulator_process(devices) as sim:
        fetch, bodies = per_device(fetch_all)
    read, pages = per_device(lambda: [read_device_cache_page(body) for body in bodies])
    index, _ = per_device(lambda: [index_entry(row.device) for page in pages for row in page])
    with fresh_model() as model:
        client = redis.Redis.from_url(REDIS_URL)
        figures = []
        for _ in range(2):  # the second generation takes the first one's search index over
            builder = model.new_snapshot(datetime.now(UTC), abandon_after=timedelta(hours=1))

            def write(builder=builder):
                for page in pages:
                    builder.adopt(write_page(client, model.keys.p, builder.generation, page.items))

            figures.append((per_device(write)[0], per_device(builder.publish)[0]))
    report(f"poll_cpu_fetch_{devices}", fetch, "us/device")
    report(f"poll_cpu_read_page_{devices}", read, "us/device")
    report(f"poll_cpu_index_entry_{devices}", index, "us/device")
    for (pages_written, published), which in zip(figures, ("first", "second"), strict=True):
        report(f"poll_cpu_write_pages_{which}_poll_{devices}", pages_written, "us/device")
        report(f"poll_cpu_publish_{which}_poll_{devices}", published, "us/device")


def main(argv: list[str]) -> None:
    parallel = int(argv[argv.index("--parallel") + 1]) if "--parallel" in argv else 8
    if "--breakdown" in argv:
        for devices in sizes(argv, default="100000"):
            breakdown(devices)
        return
    if "--workers" in argv:
        workers_bench(argv, parallel)
        return
    if "--cpu" in argv:
        for devices in sizes(argv, default="100000"):
            cpu_split(devices, parallel)
        return
    if "--freshness" in argv:
        for devices in sizes(argv):
            freshness(devices, parallel)
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
                ingests.append(ingest(sim, parallel))
        best_floor, best_ingest = min(floors), min(ingests)
        report(f"poll_floor_{devices}{suffix}", best_floor, "s")
        report(f"poll_ingest_{devices}{suffix}", best_ingest, "s")
        report(f"poll_ratio_{devices}{suffix}", best_ingest / best_floor, "x")
        report(f"poll_devices_per_second_{devices}{suffix}", devices / best_ingest, "devices/s")


if __name__ == "__main__":
    main(sys.argv[1:])
