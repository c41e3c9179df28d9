"""A Redis restart under a running Celery worker and beat: both reconnect and go on working.

A real worker process, a real Redis (the server ./run starts) killed while a poll is running
(an unacknowledged message, which the worker hands back on the lost connection) and started
again on the same port. With celery 5.7 and kombu 5.7 unrepaired, the worker logged
"Unrecoverable error: AttributeError(... 'hostname')" and never consumed again
(config/broker.py)."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from config.celery import app
from fleet import redis_server
from tests.conftest import ALL_TOKEN

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 30  # an upper bound on each step, never a sleep


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
        _wait(lambda: _answers(self.url), "the broker to answer")

    def kill(self):
        self.process.kill()
        self.process.wait()


def _answers(url):
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=0.2).ping()
    except redis.ConnectionError:
        return False


def _wait(condition, what):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def broker(tmp_path):
    binary, _ = redis_server.embedded_binary()
    server = Broker(binary, _free_port(), tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def celery(broker, simulator, key_prefix, tmp_path):
    """Start `celery -A config NAME ...` on the throwaway broker; its log in tmp_path."""
    env = dict(
        os.environ,
        REDIS_URL=broker.url,
        CONTROL_API_URL=simulator.api_url,
        CONTROL_API_TOKEN=ALL_TOKEN,
        READ_MODEL_KEY_PREFIX=key_prefix,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",  # never the suite's database
        DEBUG="1",
        POLL_PROCESSES="0",
        POLL_INTERVAL_SECONDS="5",  # beat's shortest: a fleet poll message every 5 s
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    started = []

    def start(name, *arguments):
        log_path = tmp_path / f"{name}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "celery", "-A", "config", name, "--loglevel", "INFO",
                 *arguments],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        process.log_path = log_path
        started.append(process)
        return process

    yield start
    for process in started:
        os.killpg(process.pid, signal.SIGKILL)  # with its pool processes
        process.wait()


def _log(process):
    return process.log_path.read_text(errors="replace")


def _after_loss(worker):
    return _log(worker).split("Connection to broker lost", 1)[1]


def test_the_worker_and_beat_survive_a_redis_restart_and_go_on(celery, broker, tmp_path,
                                                                sim_control):  # fmt: skip
    worker = celery("worker", "--concurrency", "2")
    beat = celery("beat", "--schedule", str(tmp_path / "beat-schedule"))
    # The profiles answer slowly: the start-up profile poll is still running (its message
    # unacknowledged) when Redis goes away, while the worker waits for more work.
    sim_control.set_faults(latency_ms=4000, path="*/inventory_connection_profile/*")
    _wait(lambda: re.search(r"poll_fleet\[.*\] succeeded", _log(worker)), "the start-up polls")

    broker.kill()
    _wait(lambda: "Connection to broker lost" in _log(worker), "the worker to see Redis gone")
    broker.start()
    sim_control.clear_faults()

    def reconnected():
        after_loss = _after_loss(worker)
        if "Unrecoverable error" in after_loss:
            raise AssertionError("the worker gave up:\n" + after_loss[-3000:])
        return "Connected to" in after_loss

    _wait(reconnected, "the worker to reconnect")
    assert worker.poll() is None, "the worker exited"

    with app.connection_for_write(broker.url) as connection:
        task_id = app.send_task("devices.tasks.poll_profiles", connection=connection).id
    done = re.compile(rf"poll_profiles\[{task_id}\] succeeded in [\d.]+s: '\d+ profiles'")
    _wait(lambda: done.search(_log(worker)), "the worker to run the task sent after the restart")
    # Beat sent its polls through the restarted Redis too (the worker sends its own only
    # when it starts).
    _wait(lambda: "devices.tasks.poll_fleet[" in _after_loss(worker), "a poll sent by beat")
    assert worker.poll() is None and beat.poll() is None
