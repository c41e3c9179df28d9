"""Fixtures shared by every test folder: the simulator over real HTTP and real Redis, and
real Celery processes on a throwaway broker."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis

from fleet import redis_server
from simulator.control import SimulatorControl
from simulator.server import SimulatorServer

ROOT = Path(__file__).resolve().parents[1]

# Fixtures every folder may ask for by name: users and roles, the fleet, operations.
pytest_plugins = ["tests.users", "tests.fixtures.fleet", "tests.fixtures.operations"]

ALL_TOKEN = "test-all-orgs-token"
TENANT_TOKEN = "test-tenant-token"
TENANT_ORGS = frozenset({5, 7})


@pytest.fixture(scope="session")
def simulator():
    """One simulator for the session: a small deterministic fleet, no added latency.

    Tests that change its state reset it through `sim_control` (see below).
    """
    with SimulatorServer(
        devices=300,
        seed=1,
        tokens={ALL_TOKEN: None, TENANT_TOKEN: TENANT_ORGS},
        latency_ms=0,
    ) as sim:
        yield sim


@pytest.fixture
def sim_control(simulator):
    """The simulator's control endpoints, with state, faults and the request log reset."""
    control = SimulatorControl(simulator.base_url, simulator.control_token)
    control.reset()
    yield control
    control.reset()


@pytest.fixture(scope="session")
def redis_url():
    return os.environ.get("TEST_REDIS_URL") or os.environ.get(
        "REDIS_URL", "redis://127.0.0.1:6379/0"
    )


@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.ping()
    yield client
    client.close()


@pytest.fixture
def key_prefix(redis_client):
    """A key prefix of the test's own, removed afterwards, so parallel runs never collide."""
    prefix = f"test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    for key in redis_client.scan_iter(match=prefix + "*", count=1000):
        redis_client.delete(key)


@pytest.fixture(autouse=True)
def _read_model_of_the_test(settings, key_prefix):
    """Every test reads and writes the fleet cache under its own key prefix, so a
    demo or another run using the same Redis is never seen nor touched."""
    settings.READ_MODEL_KEY_PREFIX = key_prefix


WAIT_SECONDS = 30  # an upper bound on each step of a test with processes, never a sleep


def wait_until(condition, what, seconds=WAIT_SECONDS):
    """condition()'s first true result, checked every 0.1 s; AssertionError after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url):
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=0.2).ping()
    except redis.ConnectionError:
        return False


class Broker:
    """A throwaway server on a fixed port, to be killed and started again there."""

    def __init__(self, binary: Path, port: int, workdir: Path):
        self.binary, self.port, self.workdir = binary, port, workdir
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603
            [str(self.binary), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(lambda: _answers(self.url), "the broker to answer")

    def kill(self):
        self.process.kill()
        self.process.wait()


@pytest.fixture
def broker(tmp_path):
    """A Redis of the test's own (the embedded Valkey) on a free port, for broker and cache."""
    binary, _ = redis_server.embedded_binary()
    server = Broker(binary, _free_port(), tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def celery(broker, simulator, key_prefix, tmp_path):
    """Start `celery -A config NAME ...` on the throwaway broker, its log in tmp_path;
    keyword arguments are environment variables of that process (DATABASE_URL, say: by
    default a database of its own, never the suite's). Stopped with its pool processes
    at the end; kill_group(process) kills one before."""
    env = dict(
        os.environ,
        REDIS_URL=broker.url,
        CONTROL_API_URL=simulator.api_url,
        CONTROL_API_TOKEN=ALL_TOKEN,
        READ_MODEL_KEY_PREFIX=key_prefix,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DEBUG="1",
        POLL_PROCESSES="0",
        POLL_INTERVAL_SECONDS="5",  # beat's shortest: a fleet poll message every 5 s
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    started = []

    def start(name, *arguments, **environment):
        log_path = tmp_path / f"{name}-{len(started)}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "celery", "-A", "config", name, "--loglevel", "INFO",
                 *arguments],
                cwd=ROOT, env=env | environment, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        process.log_path = log_path
        started.append(process)
        return process

    yield start
    for process in started:
        kill_group(process)


def kill_group(process):
    """SIGKILL a process started in a session of its own, with its children (a worker's
    pool processes), as the kernel's OOM killer or `kill -9` would."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
