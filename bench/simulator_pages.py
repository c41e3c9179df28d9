"""How fast the simulator serves 100-item device pages at 1k, 10k and 100k devices.

Over real HTTP (a threaded uvicorn server, as the tests use it), no added latency.
Prints `name: value unit` lines.

    .venv/bin/python bench/simulator_pages.py [--sizes 1000,10000,100000] [--pages 300]
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from simulator.server import SimulatorServer  # noqa: E402

TOKEN = "bench-token"
PAGE = 100
FILTERS = {
    "unfiltered": {},
    "status_org": {"status": "1", "organization": 5},
    "tenant_down": {"status": "0"},  # read with a token limited to organizations 5 and 7
}


def report(name: str, value: float, unit: str) -> None:
    print(f"{name}: {value:.4g} {unit}", flush=True)


def _argument(argv: list[str], name: str, default: str) -> str:
    return argv[argv.index(name) + 1] if name in argv else default


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * 4096 / 2**20


def _walk(session: requests.Session, url: str, params: dict, pages: int) -> tuple[float, int]:
    """(seconds, pages served) for `pages` consecutive pages, wrapping at the end."""
    count = session.get(url, params={**params, "limit": PAGE}).json()["count"]
    last_offset = max(count - PAGE, 0)
    offset, served = 0, 0
    started = time.perf_counter()
    for _ in range(pages):
        response = session.get(url, params={**params, "limit": PAGE, "offset": offset})
        response.raise_for_status()
        served += 1
        offset = 0 if offset >= last_offset else offset + PAGE
    return time.perf_counter() - started, served


def bench_size(devices: int, pages: int) -> None:
    rss_before = _rss_mb()
    started = time.perf_counter()
    server = SimulatorServer(
        devices=devices,
        seed=1,
        tokens={TOKEN: None, "tenant": {5, 7}},
        latency_ms=0,
    )
    report(f"simulator_generate_{devices}", time.perf_counter() - started, "s")
    report(f"simulator_memory_{devices}", _rss_mb() - rss_before, "MB")
    with server as sim, requests.Session() as session:
        url = f"{sim.api_url}/inventory_device/"
        for name, params in FILTERS.items():
            token = "tenant" if name.startswith("tenant") else TOKEN
            session.headers["Authorization"] = f"Bearer {token}"
            seconds, served = _walk(session, url, params, pages)
            report(f"simulator_pages_per_s_{name}_{devices}", served / seconds, "pages/s")
            report(f"simulator_ms_per_page_{name}_{devices}", seconds / served * 1000, "ms")
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        seconds, served = _walk(session, url, {"update_status": "true"}, pages)
        report(f"simulator_ms_per_page_update_status_{devices}", seconds / served * 1000, "ms")


def main(argv: list[str]) -> None:
    sizes = [int(n) for n in _argument(argv, "--sizes", "1000,10000,100000").split(",")]
    pages = int(_argument(argv, "--pages", "300"))
    for devices in sizes:
        bench_size(devices, pages)


if __name__ == "__main__":
    main(sys.argv[1:])
