"""Benchmark: the CPU of one render of the devices page, in-process, at 100,000 devices.

What the ratios of bench/pages.py are made of, without the noise of 20 clients
on two shared cores: on a saturated machine a page's latency follows its CPU per
request, so a page costing N times the floor's CPU answers in about N times the
floor's time.

Set-up: the simulator in a process of its own, one full poll into a read model on
a key prefix of the run's own (as bench/pages.py), a throwaway SQLite database, a
NOC viewer, the organizations the poll saw; then the pages are rendered through
Django's test client in this process (DEBUG off), each --renders times after 10 of
warm-up, in turns of 10 renders per endpoint (after one not measured), timed with
the process's CPU clock.

Endpoints:
- floor:   /healthz/auth (the page benchmark's floor);
- devices: the devices URL of bench/pages.py (status, organization, sort, 50 rows);
- empty:   the same with a type no device has: the page's fixed cost;
- refresh: the devices URL as the page's 10 s htmx refresh asks it;
- changed: the devices URL after a write that changed one device outside the filter
           before every render: the snapshot's version moves, so no answer kept for
           the previous one helps (the page read after each poll that changed something).
- triage:  the triage board, grouped by cause (every Down device the user may see is
           read, grouped and counted; the largest groups are drawn).

    .venv/bin/python bench/page_cpu.py [--devices 100000] [--renders 200]

Prints `page_cpu_<endpoint>_median` and `_q1` (ms of CPU per render),
`page_cpu_<endpoint>_queries`, `_redis_round_trips` and `_calls` (Python function
calls) of one render, and `page_cpu_<endpoint>_over_floor` (ratio of medians).
"""

import cProfile
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime

import msgspec
from fleet_cache_setup import (
    api_factory,
    fresh_model,
    in_process_django,
    option,
    report,
    simulator_process,
)

from fleet.polling import PollConfig, poll_fleet
from fleet.store.queries import DeviceQuery

ORGANIZATION = 5
QUERY = f"status=down&organization={ORGANIZATION}&sort=-status_change&per_page=50"
ENDPOINTS = {
    "floor": ("/healthz/auth", {}),
    "devices": (f"/devices/?{QUERY}", {}),
    "empty": (f"/devices/?{QUERY}&type=999999999", {}),
    "refresh": (f"/devices/?{QUERY}", {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "device-rows"}),
    "changed": (f"/devices/?{QUERY}", {}),
    "triage": ("/triage/", {}),
}
WARM_UP = 10
BLOCK = 10


def django_client(model, api_url: str, database: str, organizations):
    """A logged-in test client of the dashboard reading `model` (Django set up here)."""
    in_process_django(
        model, api_url, f"sqlite:///{database}",
        ALLOWED_HOSTS="testserver",
        SECURE_COOKIES="0",
        POLL_INTERVAL_SECONDS="3600",  # no poll runs here: keep the data "fresh"
    )  # fmt: skip
    from django.test import Client

    from accounts.membership import grant
    from accounts.models import ensure_organizations

    ensure_organizations(sorted(organizations))
    user, _ = grant(username="bench-viewer", role="viewer", password=secrets.token_urlsafe(16),
                    organization_id=None, organization_name=None, noc=True)  # fmt: skip
    client = Client()
    client.force_login(user)
    return client


def count_round_trips():
    """A counter of commands (or pipelines) sent to Redis by this process."""
    from redis.connection import Connection

    sent = [0]
    send = Connection.send_packed_command

    def counted(self, *args, **kwargs):
        sent[0] += 1
        return send(self, *args, **kwargs)

    Connection.send_packed_command = counted
    return sent


def fleet_changer(model, organizations):
    """A write that changes one device outside the benchmark's filter (its name, back
    and forth), as a poll that saw it change would."""
    other = min(o for o in organizations if o != ORGANIZATION)
    device = model.query(DeviceQuery(organization=other, limit=1), None).items[0]
    names = [device.name, device.name + " (renamed)"]
    turn = [0]

    def change():
        turn[0] += 1
        now = datetime.now(UTC)
        model.update_devices(
            [msgspec.structs.replace(device, name=names[turn[0] % 2])], observed_at=now
        )

    return change


def measure(client, url, headers, renders, before=None) -> list[float]:
    times = []
    for _ in range(renders):
        if before is not None:
            before()
        started = time.process_time()
        response = client.get(url, **headers)
        times.append((time.process_time() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
    return times


def one_render(client, url, headers, sent, before=None) -> tuple[int, int, int]:
    """Database queries, Redis round trips and Python calls of one render."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if before is not None:
        before()
    profile = cProfile.Profile()
    sent[0] = 0
    with CaptureQueriesContext(connection) as queries:
        profile.enable()
        client.get(url, **headers)
        profile.disable()
    return len(queries.captured_queries), sent[0], pstats.Stats(profile).total_calls


def main(argv: list[str]) -> None:
    devices = int(option(argv, "--devices", "100000"))
    renders = int(option(argv, "--renders", "200"))
    with (
        simulator_process(devices) as sim,
        fresh_model() as model,
        tempfile.TemporaryDirectory() as tmp,
    ):
        polled = poll_fleet(model=model, api_factory=api_factory(sim), config=PollConfig(),
                            mode="full")  # fmt: skip
        client = django_client(model, sim.api_url, f"{tmp}/bench.sqlite3", polled.organizations)
        sent = count_round_trips()
        change = fleet_changer(model, polled.organizations)
        befores = {name: change if name == "changed" else None for name in ENDPOINTS}
        times = {name: [] for name in ENDPOINTS}
        for name, (url, headers) in ENDPOINTS.items():
            measure(client, url, headers, WARM_UP, befores[name])
        # In turns of BLOCK renders per endpoint, so a machine that speeds up or slows
        # down (it is shared) weighs on every endpoint alike; each turn starts with one
        # render not measured, so the pages after "changed" are not read afresh.
        for _ in range(max(1, renders // BLOCK)):
            for name, (url, headers) in ENDPOINTS.items():
                measure(client, url, headers, 1, befores[name])
                times[name] += measure(client, url, headers, BLOCK, befores[name])
        medians = {}
        for name, (url, headers) in ENDPOINTS.items():
            ordered = sorted(times[name])
            medians[name] = statistics.median(ordered)
            report(f"page_cpu_{name}_median", medians[name], "ms")
            report(f"page_cpu_{name}_q1", ordered[len(ordered) // 4], "ms")
            measure(client, url, headers, 1, befores[name])
            queries, round_trips, calls = one_render(client, url, headers, sent, befores[name])
            report(f"page_cpu_{name}_queries", queries, "queries")
            report(f"page_cpu_{name}_redis_round_trips", round_trips, "round trips")
            report(f"page_cpu_{name}_calls", calls, "calls")
        for name in ENDPOINTS:
            if name != "floor":
                report(f"page_cpu_{name}_over_floor", medians[name] / medians["floor"], "x")


if __name__ == "__main__":
    main(sys.argv[1:])
