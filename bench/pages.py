"""Benchmark: latency of pages served by gunicorn at 100,000 devices, 20 clients at once.

Set-up: the simulator in a process of its own (no added latency), one full poll
into a read model on a key prefix of the run's own (as bench/poll.py does), a
throwaway SQLite database (or --database-url), migrations, a NOC viewer made with
`manage.py create_member`, the organizations the poll saw, then gunicorn on a free
port with DEBUG=0 and BENCHMARK_VIEWS=1. Each of the clients is a thread with its
own logged-in requests.Session.

Endpoints, each warmed up and then asked --requests times by all clients at once:
- floor:   /healthz/auth, a trivial page behind the same middleware and login;
- devices: /devices/ with filters (status, organization, sort, page size);
- search:  the same with q=, a different needle on every request, so every
           search scans the fleet (its per-needle cache never helps);
- refresh: the devices URL as the page's 10 s htmx refresh asks it (HX-Request,
           HX-Target: device-rows): the rows and the counters only;
- naive:   /devices/naive/ with the filters of "devices": the same page built from
           the upstream on every request, no cache;
- overview, wall_overview, wall_down_now: the overview page and the wall's overview and
           Down now panels, as a wall screen asks them every 10 seconds.

    .venv/bin/python bench/pages.py [--devices 100000] [--requests 400] [--clients 20]
        [--workers 2] [--threads 4] [--database-url postgres://...]

Prints `pages_<endpoint>_{p50,p95,mean}: ms`, `pages_<endpoint>_count`, and the
ratios pages_devices_p95_over_floor, pages_search_p95_over_floor,
pages_refresh_p95_over_devices_p95 and pages_naive_p95_over_devices_p95.
"""

import contextlib
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from pathlib import Path
from types import SimpleNamespace

import requests
from fleet_cache_setup import (
    REDIS_URL,
    TOKEN,
    api_factory,
    fresh_model,
    option,
    report,
    simulator_process,
)

from fleet.polling import PollConfig, PollReport, poll_fleet
from fleet.store.queries import DeviceQuery

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
USERNAME = "bench-viewer"
PASSWORD = secrets.token_urlsafe(16)
ORGANIZATION = 5
FILTERS = {"status": "down", "organization": str(ORGANIZATION), "sort": "-status_change",
           "per_page": "50"}  # fmt: skip
WARM_UP = 40  # requests per endpoint before measuring
# What htmx sends with the devices page's periodic refresh of its rows.
REFRESH_HEADERS = {"HX-Request": "true", "HX-Target": "device-rows"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except (requests.ConnectionError, requests.Timeout):  # not up yet, or still booting
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def start(args: list[str], env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def search_needles(model, wanted: int) -> list[str]:
    """Distinct fragments of names and serials of devices inside FILTERS, so searches
    find rows; every one is used once."""
    page = model.query(
        DeviceQuery(status=False, organization=ORGANIZATION, limit=500), frozenset({ORGANIZATION})
    )
    needles: list[str] = []
    for device in page.items:
        for needle in (device.name[-5:].lower(), device.serial_number[-7:].lower()):
            if needle.strip() and needle not in needles:
                needles.append(needle)
    if len(needles) < wanted:
        raise RuntimeError(f"only {len(needles)} search needles for {wanted} requests")
    return needles[:wanted]


def log_in(base: str, username: str = USERNAME, password: str = PASSWORD) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=30).raise_for_status()
    response = session.post(
        f"{base}/accounts/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },  # fmt: skip
        allow_redirects=False,
        timeout=60,
    )
    if response.status_code != 302:
        raise RuntimeError(f"login of {username} failed: {response.status_code}")
    return session


def measure(sessions, urls: list[str], check, headers=None) -> list[float]:
    """Ask every URL once, the clients taking the next one as they finish; ms each."""
    tickets = count()
    times: list[float] = []
    lock = threading.Lock()

    def client(session):
        while (i := next(tickets)) < len(urls):
            started = time.perf_counter()
            response = session.get(urls[i], headers=headers, allow_redirects=False, timeout=120)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200 or not check(response.text):
                raise RuntimeError(f"{urls[i]}: {response.status_code} {response.text[:300]}")
            with lock:
                times.append(elapsed)

    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        for future in [pool.submit(client, s) for s in sessions]:
            future.result()
    return times


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def fill(model, api_url: str) -> PollReport:
    """One full poll of the upstream into the model, in this process (its default writer);
    the report's `duration` is its wall time."""
    return poll_fleet(model=model, api_factory=api_factory(SimpleNamespace(api_url=api_url)),
                      config=PollConfig(), mode="full")  # fmt: skip


@contextlib.contextmanager
def dashboard(model, api_url: str, organizations, argv: list[str]) -> Iterator[str]:
    """gunicorn serving the model's read model with a NOC viewer who sees `organizations`;
    yields its base URL. A throwaway SQLite database unless --database-url."""
    workers, threads = option(argv, "--workers", "2"), option(argv, "--threads", "4")
    web_port = free_port()
    web = None
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": option(argv, "--database-url", f"sqlite:///{tmp}/bench.sqlite3"),
            "REDIS_URL": REDIS_URL,
            "READ_MODEL_KEY_PREFIX": model.keys.p,
            "CONTROL_API_URL": api_url,
            "CONTROL_API_TOKEN": TOKEN,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_COOKIES": "0",  # plain HTTP to 127.0.0.1
            "BENCHMARK_VIEWS": "1",
            # No poll runs during the benchmark: keep the data "fresh" for the banner.
            "POLL_INTERVAL_SECONDS": "3600",
            "LOG_LEVEL": "WARNING",
        }
        manage(env, "migrate", "--noinput")
        manage(env, "create_member", USERNAME, f"--password={PASSWORD}", "--noc",
               "--role", "viewer")  # fmt: skip
        ids = ",".join(map(str, sorted(organizations)))
        manage(env, "shell", "-c", "from accounts.models import ensure_organizations; "
               f"ensure_organizations([{ids}])")  # fmt: skip
        try:
            web = start([PYTHON, "-m", "gunicorn", "config.wsgi", "--bind",
                         f"127.0.0.1:{web_port}", "--workers", workers, "--threads", threads,
                         "--worker-class", "gthread", "--log-level", "warning"], env)  # fmt: skip
            base = f"http://127.0.0.1:{web_port}"
            wait_for(f"{base}/healthz")
            yield base
        finally:
            if web is not None:
                stop(web)


def endpoints(base: str, model, total: int) -> dict:
    """name -> (a function giving the next URL, a check of the body, headers)."""
    needles = iter(search_needles(model, WARM_UP + total))
    query = "&".join(f"{k}={v}" for k, v in FILTERS.items())
    rows = re.compile(r'data-device-id="\d+"')
    refreshed = re.compile(r'^\s*<tbody id="device-rows".*data-device-id="\d+"', re.S)
    return {
        "floor": (lambda: f"{base}/healthz/auth", lambda text: text == "ok\n", None),
        "devices": (lambda: f"{base}/devices/?{query}", rows.search, None),
        "search": (
            lambda: f"{base}/devices/?{query}&q={next(needles)}",
            lambda text: 'id="fleet-table"' in text,
            None,
        ),  # fmt: skip
        "refresh": (lambda: f"{base}/devices/?{query}", refreshed.match, REFRESH_HEADERS),
        "naive": (lambda: f"{base}/devices/naive/?{query}", rows.search, None),
        # The overview (counts per organization, the day's and week's charts) and two
        # panels a wall screen asks every 10 s.
        "overview": (lambda: f"{base}/", lambda text: "notice-warning" not in text, None),
        "wall_overview": (
            lambda: f"{base}/wall/panels/overview/",
            lambda text: 'class="wall-tiles"' in text,
            None,
        ),
        "wall_down_now": (
            lambda: f"{base}/wall/panels/triage/",
            lambda text: "wall-notice" not in text,
            None,
        ),
    }


def measure_endpoint(sessions, endpoint, total: int, name: str, suffix: str = "") -> list[float]:
    """Warm up, then ask `total` URLs of the endpoint; ms each. Reports
    `<name>_{p50,p95,mean,count}<suffix>`."""
    url, check, headers = endpoint
    measure(sessions, [url() for _ in range(WARM_UP)], check, headers)
    times = measure(sessions, [url() for _ in range(total)], check, headers)
    report(f"{name}_p50{suffix}", percentile(times, 50), "ms")
    report(f"{name}_p95{suffix}", percentile(times, 95), "ms")
    report(f"{name}_mean{suffix}", statistics.fmean(times), "ms")
    report(f"{name}_count{suffix}", len(times), "requests")
    return times


def main(argv: list[str]) -> None:
    devices = int(option(argv, "--devices", "100000"))
    total = int(option(argv, "--requests", "400"))
    clients = int(option(argv, "--clients", "20"))
    with simulator_process(devices) as sim, fresh_model() as model:
        polled = fill(model, sim.api_url)
        report(f"pages_fill_full_poll_{devices}", polled.duration, "s")
        with dashboard(model, sim.api_url, polled.organizations, argv) as base:
            sessions = [log_in(base) for _ in range(clients)]
            p95 = {
                name: percentile(measure_endpoint(sessions, endpoint, total, f"pages_{name}"), 95)
                for name, endpoint in endpoints(base, model, total).items()
            }
            report("pages_devices_p95_over_floor", p95["devices"] / p95["floor"], "x")
            report("pages_search_p95_over_floor", p95["search"] / p95["floor"], "x")
            report("pages_refresh_p95_over_devices_p95", p95["refresh"] / p95["devices"], "x")
            report("pages_naive_p95_over_devices_p95", p95["naive"] / p95["devices"], "x")
            for session in sessions:
                session.close()


if __name__ == "__main__":
    main(sys.argv[1:])
