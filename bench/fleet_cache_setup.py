"""Shared set-up of the fleet-cache benchmarks: an in-process simulator and a
read model on a key prefix of the run's own (deleted afterwards)."""

import contextlib
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis  # noqa: E402

from controlapi import ControlAPI  # noqa: E402
from fleet.polling import PollConfig, poll_fleet  # noqa: E402
from fleet.read_model import ReadModel  # noqa: E402
from simulator.server import SimulatorServer  # noqa: E402

TOKEN = "bench-token"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def report(name: str, value: float, unit: str) -> None:
    print(f"{name}: {value:.6g} {unit}", flush=True)


def median_ms(call, times: int, before=None) -> float:
    """The median wall time of `times` calls of `call`, in ms; `before` runs untimed ahead of
    each."""
    taken = []
    for _ in range(times):
        if before is not None:
            before()
        started = time.perf_counter()
        call()
        taken.append((time.perf_counter() - started) * 1000)
    return statistics.median(taken)


def option(argv: list[str], name: str, default: str) -> str:
    """The value after `name` in the command line, else `default`."""
    return argv[argv.index(name) + 1] if name in argv else default


def in_process_django(model, api_url: str, database_url: str, **environment) -> None:
    """Django set up in this process over `model` (its key prefix), the simulator at
    `api_url` and the database `database_url`, migrated; `environment`: more settings."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        READ_MODEL_KEY_PREFIX=model.keys.p,
        CONTROL_API_URL=api_url,
        CONTROL_API_TOKEN=TOKEN,
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="0",
        LOG_LEVEL="WARNING",
        **environment,
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def sizes(argv: list[str], default: str = "1000,10000,100000") -> list[int]:
    """Fleet sizes from `--sizes 1000,10000` (default: 1k, 10k and 100k)."""
    text = argv[argv.index("--sizes") + 1] if "--sizes" in argv else default
    return [int(n) for n in text.split(",")]


@contextlib.contextmanager
def simulator(devices: int, latency_ms: float = 0):
    with SimulatorServer(
        devices=devices, seed=1, tokens={TOKEN: None}, latency_ms=latency_ms
    ) as sim:
        yield sim


@contextlib.contextmanager
def simulator_process(devices: int, latency_ms: float = 0):
    """The simulator as its own process (`python -m simulator`), as the real upstream is
    another machine: its CPU then does not compete with the poller's interpreter."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", str(port), "--devices", str(devices),
         "--seed", "1", "--token", TOKEN, "--latency-ms", str(latency_ms)],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        # A million devices take about 30 s to generate on a quiet core, longer on a busy one.
        deadline = time.monotonic() + 300
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/v1/openapi.yaml", timeout=1)  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the simulator process did not start") from None
                time.sleep(0.2)
        yield SimpleNamespace(base_url=base, api_url=f"{base}/api/v1", pid=process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


def rss_bytes(pid: int | str = "self", peak: bool = False) -> int:
    """Resident memory of a process (VmRSS), or its peak (VmHWM), from /proc (Linux)."""
    wanted = "VmHWM:" if peak else "VmRSS:"
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(wanted):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {wanted} for process {pid}")


def used_memory() -> int:
    """Redis's INFO used_memory at REDIS_URL (bytes)."""
    with redis.Redis.from_url(REDIS_URL) as client:
        return client.info("memory")["used_memory"]


def api_factory(sim):
    return lambda: ControlAPI(sim.api_url, TOKEN, max_retries=0)


@contextlib.contextmanager
def fresh_model():
    # The pollers' timeouts (devices.redis_clients): publishing a million devices' orders
    # takes Redis longer than redis-py's default 5 s.
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5, socket_timeout=60)
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    try:
        yield ReadModel(client, prefix)
    finally:
        for key in client.scan_iter(match=prefix + "*", count=5000):
            client.unlink(key)
        client.close()


@contextlib.contextmanager
def cached_fleet(devices: int, config: PollConfig | None = None):
    """A simulator of `devices` and a model holding its fleet after one full poll."""
    with simulator(devices) as sim, fresh_model() as model:
        poll_fleet(
            model=model, api_factory=api_factory(sim), config=config or PollConfig(), mode="full"
        )
        yield sim, model


def longest_command(client) -> tuple[float, str]:
    """The longest command in Redis's SLOWLOG (those past its 10 ms default) since the last
    `client.slowlog_reset()`: milliseconds and the command's name; (0, "") when none.
    Redis answers nobody while one command runs, so pages wait this long."""
    entries = client.slowlog_get(128)
    if not entries:
        return 0.0, ""
    longest = max(entries, key=lambda entry: entry["duration"])  # microseconds
    command = longest["command"]
    name = (command.decode() if isinstance(command, bytes) else str(command)).split(" ")[0]
    return longest["duration"] / 1000, name
