"""Benchmark: 50 logged-in users for 60 s while the upstream goes down and Redis restarts.

Set-up, every part of it the run's own and stopped at the end: a throwaway Redis on a
free port (`redis-server --save ''`, so a restart loses the read model as a crash
would), the simulator in its own process (--devices, seed 1), a throwaway SQLite
database with five members of mixed roles (NOC admin, NOC viewer, tenant admin,
operator, viewer), the dashboard under gunicorn (DEBUG=0), and a Celery worker and
beat polling every --poll-interval seconds.

Load (locust, as a library): --users users, each logged in beforehand with a session
of its own, split evenly over the five members, go over the main pages and searches
(overview, device list, filtered list, search, the list's htmx refresh, a device's
page, triage, profiles, scheduled operations, audit log) with 0.5-2 s between pages.

Timeline: t=0 load starts; t=20 s the upstream is down for 20 s (the simulator's
/_sim/faults outage); t=45 s Redis is killed and started again 3 s later (empty);
t=60 s load stops. From the end of the last fault the devices page is read every
second until its data is fresh again: not read from the control API directly, and
"Data as of ..." no older than the end of the faults.

    .venv/bin/python bench/load.py [--users 50] [--seconds 60] [--devices 5000]
        [--poll-interval 10] [--workers 2] [--threads 4] [--keep-alive 5]

Prints `load_requests` (and how many were answered while the upstream and while Redis
were down), `load_errors_5xx` (each listed), `load_failures` (any other
failure: a connection error, a status that is not 200, a page without its content),
`load_<page>_{p50,p95}` (ms) and `_count`, `load_fresh_after_faults` (s) and
`load_fresh_limit` (two poll intervals, s). Exits 1 if any response was 5xx or the
data was not fresh within two poll intervals.
"""

import locust  # noqa: F401, I001 -- first: it patches the standard library for gevent

import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gevent
import requests
from gevent.pool import Pool
from locust import HttpUser, between, task
from locust.env import Environment
from pages import PYTHON, ROOT, free_port, log_in, manage, percentile, stop, wait_for
from fleet_cache_setup import TOKEN, option, report

PASSWORD = secrets.token_urlsafe(16)
SIM_CONTROL = {"Authorization": "Bearer sim-control"}  # the simulator's default control token
REFRESH_HEADERS = {"HX-Request": "true", "HX-Target": "device-rows"}
OUTAGE_AT, OUTAGE_SECONDS = 20, 20
REDIS_DOWN_AT, REDIS_DOWN_SECONDS = 45, 3
AGE = re.compile(r"Data as of [0-9:]+ \((\d+) seconds old\)")
DEVICE_IDS = re.compile(r'data-device-id="(\d+)"')


class Processes:
    """Every process the run starts, each in a session of its own so that stopping it
    also stops its children (Celery's pool, gunicorn's workers)."""

    def __init__(self, logs: Path):
        self.logs, self.started = logs, []

    def start(self, name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.started.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in reversed(self.started):
            for sig in (signal.SIGTERM, signal.SIGKILL):  # then whatever of it is left
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                if sig == signal.SIGTERM:
                    stop(process)


class Members:
    """The five members, and a logged-in cookie jar per simulated user, dealt in turn."""

    ROLES = [("noc-admin", ["--noc", "--role", "admin"]),
             ("noc-viewer", ["--noc", "--role", "viewer"]),
             ("tenant-admin", ["--organization", "{a}", "--role", "admin"]),
             ("operator", ["--organization", "{a}", "--role", "operator"]),
             ("viewer", ["--organization", "{b}", "--role", "viewer"])]  # fmt: skip

    def __init__(self, env: dict, organizations: list[int]):
        a, b = organizations[0], organizations[1]
        for name, args in self.ROLES:
            manage(env, "create_member", name, "--password", PASSWORD,
                   *[arg.format(a=a, b=b) for arg in args])  # fmt: skip
        self.jars: list[tuple[str, requests.cookies.RequestsCookieJar]] = []

    def log_in_all(self, base: str, users: int) -> None:
        names = [self.ROLES[i % len(self.ROLES)][0] for i in range(users)]
        self.jars = Pool(8).map(lambda name: (name, log_in(base, name, PASSWORD).cookies), names)

    def deal(self):
        return self.jars.pop()


class Recorder:
    """Every response: its time per page name, and the 5xx and other failures."""

    def __init__(self):
        self.times: dict[str, list[float]] = {}
        self.server_errors: list[str] = []
        self.failures: list[str] = []
        self.answered_at: list[float] = []  # seconds after the start, each response
        self.started = time.monotonic()

    def __call__(self, name, response_time, response, exception, **_):
        self.times.setdefault(name, []).append(response_time)
        status = getattr(response, "status_code", 0)
        at = time.monotonic() - self.started
        self.answered_at.append(at)
        if status >= 500:
            self.server_errors.append(f"t={at:.1f}s {name} {response.url} {status}")
        elif exception:
            self.failures.append(f"t={at:.1f}s {name} {status} {exception}")


class Member(HttpUser):
    """One logged-in user of the dashboard going over its main pages."""

    wait_time = between(0.5, 2)
    members: Members  # set before the run

    def on_start(self):
        self.role, jar = self.members.deal()
        self.client.cookies.update(jar)
        self.devices: list[str] = []

    def get(self, url: str, name: str, expect: str, headers=None):
        with self.client.get(url, name=name, headers=headers, allow_redirects=False,
                             catch_response=True) as response:  # fmt: skip
            if response.status_code == 0:  # no answer: the connection failed
                response.failure(f"no response: {response.error!r}")
            elif response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif expect not in response.text:
                response.failure(f"no {expect!r} in the page")
            elif name == "devices":
                self.devices = DEVICE_IDS.findall(response.text)[:20] or self.devices

    @task(3)
    def overview(self):
        self.get("/", "overview", "</html>")

    @task(4)
    def device_list(self):
        self.get("/devices/", "devices", 'id="fleet-table"')

    @task(2)
    def filtered(self):
        self.get("/devices/?status=down&sort=-status_change&per_page=50", "filtered",
                 'id="fleet-table"')  # fmt: skip

    @task(4)
    def search(self):
        needle = str(random.randint(10, 999))  # a fragment of serials and names
        self.get(f"/devices/?q={needle}", "search", 'id="fleet-table"')

    @task(3)
    def refresh(self):
        self.get("/devices/", "refresh", 'id="device-rows"', REFRESH_HEADERS)

    @task(2)
    def detail(self):
        if self.devices:
            self.get(f"/devices/{random.choice(self.devices)}/", "detail", "</html>")

    @task(1)
    def triage(self):
        self.get("/triage/", "triage", "</html>")

    @task(1)
    def profiles(self):
        self.get("/profiles/", "profiles", "</html>")

    @task(1)
    def operations(self):
        self.get("/operations/", "operations", "</html>")

    @task(1)
    def audit(self):
        self.get("/audit/", "audit", "</html>")


def data_age(session: requests.Session, base: str) -> tuple[int | None, bool]:
    """The devices page's data age in seconds (None without one) and whether the page
    was read from the control API directly."""
    try:
        text = session.get(f"{base}/devices/", timeout=30).text
    except requests.RequestException:
        return None, True
    match = AGE.search(text)
    return (int(match[1]) if match else None), "read from the control API directly" in text


def wait_until_fresh(session, base: str, since: float, wait: float) -> float | None:
    """Seconds after `since` (a time.time()) at which the devices page showed data from a
    poll that started after it; None if not so within `wait` seconds from now."""
    deadline = time.time() + wait
    while time.time() < deadline:
        age, direct = data_age(session, base)
        if age is not None and not direct and time.time() - age >= since - 1:
            return time.time() - since
        time.sleep(1)
    return None


def main(argv: list[str]) -> int:
    users = int(option(argv, "--users", "50"))
    seconds = int(option(argv, "--seconds", "60"))
    devices = option(argv, "--devices", "5000")
    interval = int(option(argv, "--poll-interval", "10"))
    redis_port, sim_port, web_port = free_port(), free_port(), free_port()
    sim = f"http://127.0.0.1:{sim_port}"
    base = f"http://127.0.0.1:{web_port}"
    with tempfile.TemporaryDirectory() as tmp:
        processes = Processes(Path(tmp))
        redis_args = ["/usr/bin/redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                      "--save", "", "--appendonly", "no", "--dir", tmp]  # fmt: skip
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "CONTROL_API_URL": f"{sim}/api/v1",
            "CONTROL_API_TOKEN": TOKEN,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_COOKIES": "0",  # plain HTTP to 127.0.0.1
            "POLL_INTERVAL_SECONDS": str(interval),
            "LOG_LEVEL": "WARNING",
        }
        try:
            redis_server = processes.start("redis", redis_args)
            processes.start("simulator", [PYTHON, "-m", "simulator", "--port", str(sim_port),
                            "--devices", devices, "--seed", "1", "--token", TOKEN])  # fmt: skip
            wait_for(f"{sim}/")
            listed = requests.get(f"{sim}/_sim/organizations", headers=SIM_CONTROL, timeout=10)
            organizations = [o["id"] for o in listed.json()["results"]]
            manage(env, "migrate", "--noinput")
            Member.members = Members(env, organizations)
            processes.start("worker", [PYTHON, "-m", "celery", "-A", "config", "worker",
                            "--concurrency", "2", "--loglevel", "WARNING"], env)  # fmt: skip
            processes.start("beat", [PYTHON, "-m", "celery", "-A", "config", "beat",
                            "--schedule", f"{tmp}/beat-schedule", "--loglevel", "WARNING"],
                            env)  # fmt: skip
            processes.start("web", [PYTHON, "-m", "gunicorn", "config.wsgi", "--bind",
                            f"127.0.0.1:{web_port}", "--workers", option(argv, "--workers", "2"),
                            "--threads", option(argv, "--threads", "4"), "--worker-class",
                            "gthread", "--log-level", "warning",
                            # Idle connections outlive a user's longest pause (2 s): with
                            # gunicorn's 2 s the server closes one as the user reuses it,
                            # which a browser retries and locust reports as a reset.
                            "--keep-alive", option(argv, "--keep-alive", "5")], env)  # fmt: skip
            wait_for(f"{base}/healthz")
            watcher = log_in(base, "noc-admin", PASSWORD)
            if wait_until_fresh(watcher, base, time.time() - 3600, 180) is None:
                raise RuntimeError("the first poll did not fill the read model")
            Member.members.log_in_all(base, users)

            recorder = Recorder()
            environment = Environment(user_classes=[Member], host=base)
            environment.events.request.add_listener(recorder)
            runner = environment.create_local_runner()
            faults_over: list[float] = []

            def timeline():
                gevent.sleep(OUTAGE_AT)
                requests.post(f"{sim}/_sim/faults", json={"outage_seconds": OUTAGE_SECONDS},
                              headers=SIM_CONTROL, timeout=10).raise_for_status()  # fmt: skip
                gevent.sleep(REDIS_DOWN_AT - OUTAGE_AT)
                processes.kill(redis_server)
                gevent.sleep(REDIS_DOWN_SECONDS)
                processes.start("redis", redis_args)
                faults_over.append(time.time())

            recorder.started = time.monotonic()
            runner.start(users, spawn_rate=users)
            gevent.spawn(timeline)
            gevent.sleep(seconds)
            runner.quit()
            runner.greenlet.join()
            limit = 2 * interval
            fresh = (wait_until_fresh(watcher, base, faults_over[0], 3 * limit)
                     if faults_over else None)  # fmt: skip

            report("load_users", users, "users")
            report("load_seconds", seconds, "s")
            report("load_requests", sum(map(len, recorder.times.values())), "requests")

            def answered(start, end):
                return sum(start <= at < end for at in recorder.answered_at)

            outage = answered(OUTAGE_AT, OUTAGE_AT + OUTAGE_SECONDS)
            report("load_requests_while_upstream_down", outage, "requests")
            redis_down = answered(REDIS_DOWN_AT, REDIS_DOWN_AT + REDIS_DOWN_SECONDS)
            report("load_requests_while_redis_down", redis_down, "requests")
            report("load_errors_5xx", len(recorder.server_errors), "responses")
            for line in recorder.server_errors:
                print(f"  5xx: {line}")
            report("load_failures", len(recorder.failures), "responses")
            for line in recorder.failures[:30]:
                print(f"  failure: {line}")
            for name, times in sorted(recorder.times.items()):
                report(f"load_{name}_p50", percentile(times, 50), "ms")
                report(f"load_{name}_p95", percentile(times, 95), "ms")
                report(f"load_{name}_count", len(times), "requests")
            report("load_fresh_after_faults", fresh if fresh is not None else float("nan"), "s")
            report("load_fresh_limit", limit, "s")
            if recorder.server_errors or recorder.failures:
                print((Path(tmp) / "web.log").read_text(errors="replace")[-5000:])
            return 1 if recorder.server_errors or fresh is None or fresh > limit else 0
        finally:
            processes.stop_all()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
