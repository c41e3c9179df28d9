"""Benchmark: the dashboard's pages as the fleet grows, and what a fleet size costs.

For each size (default 100,000 then 1,000,000 devices), in one run: the simulator in a
process of its own, one full poll in this process (the default in-process writer) into
a read model of the size's own, then gunicorn with the same settings as bench/pages.py
(its `dashboard`, the same filters and search needles) and 20 clients asking the
floor (/healthz/auth), the devices page, a search (a new needle per request), the
overview page and the wall's overview and Down now panels. The read model is deleted
before the next size. Reports, per size N:

- `capacity_fill_full_poll_N` (s): the poll's wall time;
- `capacity_simulator_rss_N`, `capacity_poller_rss_peak_N` (MB): the simulator's
  resident memory, and this process's peak (the poll's, cumulative over the sizes run);
- `capacity_redis_used_memory_N` (MB): Redis's used_memory growth for the read model
  (clean only on a Redis of the run's own: REDIS_URL);
- `capacity_<floor|devices|search|overview|wall_overview|wall_down_now>_{p50,p95,mean,count}_N`
  (ms);
- `capacity_devices_p95_over_floor_N`, `capacity_search_p95_over_floor_N` (x);

and, across the largest and smallest size, `capacity_devices_p95_<largest>_over_<smallest>` and
the same over the floor of each size (`..._floor_relative`), which cancels a machine
that was busier during one size than the other.

    .venv/bin/python bench/capacity.py [--sizes 100000,1000000] [--requests 400]
        [--clients 20] [--workers 2] [--threads 4] [--database-url postgres://...]
"""

import resource
import sys

from fleet_cache_setup import fresh_model, report, rss_bytes, simulator_process, sizes, used_memory
from pages import dashboard, endpoints, fill, log_in, measure_endpoint, option, percentile

MEASURED = ("floor", "devices", "search", "overview", "wall_overview", "wall_down_now")
MB = 2**20


def run(devices: int, total: int, clients: int, argv: list[str]) -> dict[str, float]:
    """p95 (ms) of each measured endpoint at this fleet size."""
    with simulator_process(devices) as sim, fresh_model() as model:
        before = used_memory()
        polled = fill(model, sim.api_url)
        report(f"capacity_fill_full_poll_{devices}", polled.duration, "s")
        report(f"capacity_simulator_rss_{devices}", rss_bytes(sim.pid) / MB, "MB")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
        report(f"capacity_poller_rss_peak_{devices}", peak / MB, "MB")
        report(f"capacity_redis_used_memory_{devices}", (used_memory() - before) / MB, "MB")
        with dashboard(model, sim.api_url, polled.organizations, argv) as base:
            sessions = [log_in(base) for _ in range(clients)]
            named = endpoints(base, model, total)
            p95 = {}
            for name in MEASURED:
                times = measure_endpoint(
                    sessions, named[name], total, f"capacity_{name}", f"_{devices}"
                )
                p95[name] = percentile(times, 95)
            for session in sessions:
                session.close()
    for name in ("devices", "search"):
        report(f"capacity_{name}_p95_over_floor_{devices}", p95[name] / p95["floor"], "x")
    return p95


def main(argv: list[str]) -> None:
    total = int(option(argv, "--requests", "400"))
    clients = int(option(argv, "--clients", "20"))
    fleet_sizes = sizes(argv, default="100000,1000000")
    p95 = {devices: run(devices, total, clients, argv) for devices in fleet_sizes}
    # The largest size over the smallest, whatever order they ran in.
    smallest, largest = min(fleet_sizes), max(fleet_sizes)
    small, large = p95[smallest], p95[largest]
    name = f"capacity_devices_p95_{largest}_over_{smallest}"
    report(name, large["devices"] / small["devices"], "x")
    relative = (large["devices"] / large["floor"]) / (small["devices"] / small["floor"])
    report(f"{name}_floor_relative", relative, "x")


if __name__ == "__main__":
    main(sys.argv[1:])
