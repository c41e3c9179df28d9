"""A full poll shared by real Celery workers (two processes with their own hostnames, one
task at a time each): both store ranges of the same poll, and a worker process killed
(SIGKILL) in the middle of a range loses only that range, which another delivery stores,
so the poll still publishes the whole fleet."""

import os
import re
import signal
from pathlib import Path

import pytest
import redis

from devices import tasks
from fleet import polling
from fleet.read_model import ReadModel
from tests.fixtures.workers import wait_until

# Pages of 10 in ranges of 2: the 300-device fleet is the first page and 15 ranges. A long
# interval: a poll outlasting a short one sends the next at once, whose lock would make
# the test's own poll skip.
WORKER_SETTINGS = {
    "POLL_PAGE_SIZE": "10",
    "POLL_PAGES_PER_RANGE": "2",
    "POLL_INTERVAL_SECONDS": "300",
}
RANGES = 15


@pytest.fixture
def workers(celery, on_the_broker, still_fleet):
    """Start named workers (`-n NAME@%h`, concurrency 1) and wait until they consume."""

    def start(*names):
        started = [
            celery("worker", "--concurrency", "1", "-n", f"{name}@%h", **WORKER_SETTINGS)
            for name in names
        ]
        for worker in started:
            wait_until(lambda w=worker: "ready." in _log(w), "a worker to be ready")
        return started

    return start


@pytest.fixture
def shared_model(on_the_broker, key_prefix):
    return ReadModel(redis.Redis.from_url(on_the_broker.url), key_prefix)


def _log(worker) -> str:
    return Path(worker.log_path).read_text(errors="replace")


def _ranges(worker, word: str, generation: int) -> list[str]:
    """The ranges of a poll a worker's log says it began ("storing") or ended ("stored")."""
    return re.findall(rf"{word} range (\d+-\d+) of full poll {generation} ", _log(worker))


def _idle(model, workers) -> bool:
    """The start-up polls (one sent by each worker) are over: each ended, a snapshot, and
    nobody holding the poll lock."""
    ended = sum(len(re.findall(r"tasks\.poll_fleet\[\S+\] succeeded", _log(w))) for w in workers)
    held = model.client.exists(model.keys.poll_lock(polling.FLEET))
    return ended >= len(workers) and model.snapshot_info() is not None and not held


def _generation_after(model, before: int) -> int:
    def published():
        info = model.snapshot_info()
        return info.generation if info is not None and info.generation != before else None

    return wait_until(published, "the full poll to be published", seconds=90)


def _cached_ids(model) -> list[int]:
    info = model.snapshot_info()
    return sorted(int(i) for i in model.client.hkeys(model.keys.dev(info.generation)))


def test_two_workers_share_one_full_poll(workers, shared_model, still_fleet, all_devices):
    # Each page waits at the simulator, so one worker's range is still running when the
    # next range is handed out: the other worker takes it.
    still_fleet.set_faults(latency_ms=150, method="GET", path="*/inventory_device/")
    first, second = workers("w1", "w2")
    wait_until(lambda: _idle(shared_model, [first, second]), "the start-up polls", seconds=90)
    before = shared_model.snapshot_info().generation

    tasks.poll_fleet.apply_async(kwargs={"mode": polling.FULL})
    generation = _generation_after(shared_model, before)

    by_first, by_second = (
        _ranges(first, "stored", generation),
        _ranges(second, "stored", generation),
    )
    assert by_first and by_second, (by_first, by_second)
    assert len(set(by_first) | set(by_second)) == RANGES
    assert _cached_ids(shared_model) == sorted(d.id for d in all_devices())
    assert f"full poll {generation} published: 300 devices" in _log(first) + _log(second)


def _pool_processes(worker) -> list[int]:
    """The pids of a worker's pool processes (its main process's children), from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            if int(stat.rsplit(")", 1)[1].split()[1]) == worker.pid:
                children.append(int(entry.name))
    return children


def test_a_worker_process_killed_mid_range_loses_only_that_range(
    workers, shared_model, still_fleet, all_devices
):
    # Slow pages: a range takes about a second, time enough to kill its process mid-way.
    still_fleet.set_faults(latency_ms=800, method="GET", path="*/inventory_device/")
    victim, other = workers("w1", "w2")
    wait_until(lambda: _idle(shared_model, [victim, other]), "the start-up polls", seconds=120)
    before = shared_model.snapshot_info().generation

    tasks.poll_fleet.apply_async(kwargs={"mode": polling.FULL})

    def victim_mid_range():
        for generation in {int(g) for g in re.findall(r"of full poll (\d+) ", _log(victim))}:
            if generation == before:
                continue
            begun = _ranges(victim, "storing", generation)
            ended = _ranges(victim, "stored", generation)
            if len(begun) > len(ended):
                return generation, begun[-1]
        return None

    generation, killed_range = wait_until(victim_mid_range, "w1 to be storing a range", seconds=90)
    (pool_process,) = _pool_processes(victim)
    os.kill(pool_process, signal.SIGKILL)

    assert _generation_after(shared_model, before) == generation
    stored = set(_ranges(victim, "stored", generation)) | set(_ranges(other, "stored", generation))
    assert killed_range in stored  # delivered again, and stored
    assert len(stored) == RANGES
    assert "WorkerLostError" in _log(victim) or "worker lost" in _log(victim).lower()
    assert _cached_ids(shared_model) == sorted(d.id for d in all_devices())
