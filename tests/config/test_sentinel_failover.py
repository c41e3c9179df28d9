"""Redis failover through Sentinel: real servers (a master, its replica, one sentinel) on
loopback; the master is killed with SIGKILL and the sentinel promotes the replica.

The dashboard is configured with REDIS_SENTINELS and REDIS_SENTINEL_MASTER, and a REDIS_URL
whose host is a closed port, so a client that did not ask the sentinel fails. Pages must
answer 200 throughout (degraded at worst, never 500) and read the new master within 30 s;
the next poll, run in the test or by a real Celery worker told of the failover only by the
sentinel, must land on the promoted replica.
"""

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from kombu import Connection

from config.broker import celery_redis
from config.celery import app
from devices import configured
from fleet import polling
from fleet.read_model import ReadModel
from fleet.redis_connection import RedisAddress, parse_sentinels
from tests.fixtures.sentinel import local_client
from tests.fixtures.simulator import ALL_TOKEN
from tests.fixtures.workers import wait_until

pytestmark = pytest.mark.failover

PAGES_FOLLOW_WITHIN = 30  # seconds from the kill (the promise)


def _last_success_on(port, prefix):
    """When the last fleet poll stored on the server at `port` succeeded (read directly)."""
    return ReadModel(local_client(port), prefix).poll_health(polling.FLEET).last_success


def _configure(settings, environment):
    settings.REDIS_URL = environment["REDIS_URL"]
    settings.REDIS_SENTINELS = list(parse_sentinels(environment["REDIS_SENTINELS"]))
    settings.REDIS_SENTINEL_MASTER = environment["REDIS_SENTINEL_MASTER"]


def _poll():
    return polling.poll_fleet(
        model=configured.read_model(for_pages=False),
        api_factory=configured.upstream(),
        config=configured.poll_config(),
        mode="full",
    )


def test_pages_answer_through_a_failover_and_the_next_poll_lands_on_the_new_master(
    sentinel_group, settings, simulator, client_of, noc_viewer, key_prefix
):
    _configure(settings, sentinel_group.environment())
    settings.CONTROL_API_URL = simulator.api_url
    settings.CONTROL_API_TOKEN = ALL_TOKEN
    assert _poll().devices > 0
    assert _last_success_on(sentinel_group.master, key_prefix) is not None
    pages = client_of(noc_viewer)
    assert b"Degraded" not in pages.get("/devices/").content

    killed_at = datetime.now(UTC)
    sentinel_group.kill_master()
    statuses = []

    def page_reads_the_new_master():
        response = pages.get("/devices/")  # a 500 raises here (the test client re-raises)
        statuses.append(response.status_code)
        assert response.status_code == 200, statuses
        return sentinel_group.failed_over() and b"Degraded" not in response.content

    wait_until(page_reads_the_new_master, "the page to read the new master", PAGES_FOLLOW_WITHIN)
    assert set(statuses) == {200}

    assert _poll().devices > 0
    assert _last_success_on(sentinel_group.replica, key_prefix) > killed_at
    # /readyz and /metrics read Redis through the sentinel too.
    assert pages.get("/readyz").json()["checks"]["redis"].startswith(("Redis ", "Valkey "))
    settings.METRICS_TOKEN = "scrape"  # noqa: S105 (a test token)
    metrics = pages.get("/metrics", headers={"Authorization": "Bearer scrape"}).content
    assert b'noc_dependency_up{dependency="redis"} 1.0' in metrics
    assert b'noc_dependency_up{dependency="broker"} 1.0' in metrics


@pytest.fixture
def broker(sentinel_group):
    """The `celery` fixture's Redis (tests/fixtures/workers.py): this group's REDIS_URL."""
    return SimpleNamespace(url=sentinel_group.environment()["REDIS_URL"])


def _log(process):
    return process.log_path.read_text(errors="replace")


def test_the_worker_and_beat_follow_a_failover_and_go_on(
    sentinel_group, celery, tmp_path, key_prefix, sim_control
):
    environment = sentinel_group.environment()
    # A poll killed with the master leaves its lock on the replica: it expires soon.
    sentinel = {**environment, "POLL_LOCK_SECONDS": "10"}
    # The profiles answer slowly: the start-up profile poll is still running (its message
    # unacknowledged, handed back when the worker closes the lost connection) at the kill.
    sim_control.set_faults(latency_ms=4000, path="*/inventory_connection_profile/*")
    worker = celery("worker", "--concurrency", "2", **sentinel)
    beat = celery("beat", "--schedule", str(tmp_path / "beat-schedule"), **sentinel)
    wait_until(
        lambda: re.search(r"poll_fleet\[.*\] succeeded", _log(worker)), "the start-up poll", 60
    )
    # The poll task hands a full poll's ranges out; its finish task publishes a moment later.
    wait_until(
        lambda: _last_success_on(sentinel_group.master, key_prefix), "the start-up poll stored", 60
    )

    killed_at = datetime.now(UTC)
    seen_before_kill = len(_log(worker))
    sentinel_group.kill_master()
    wait_until(sentinel_group.failed_over, "the sentinel to promote the replica")
    sim_control.clear_faults()

    broker = celery_redis(
        RedisAddress(
            environment["REDIS_URL"],
            parse_sentinels(environment["REDIS_SENTINELS"]),
            environment["REDIS_SENTINEL_MASTER"],
        )
    )
    with Connection(
        broker.url, transport=broker.transport, transport_options=broker.options
    ) as connection:
        task_id = app.send_task("devices.tasks.poll_fleet", connection=connection).id

    def after_the_kill():
        text = _log(worker)[seen_before_kill:]
        if "Unrecoverable error" in text:
            raise AssertionError("the worker gave up:\n" + text[-3000:])
        return text

    done = re.compile(rf"poll_fleet\[{task_id}\] succeeded")
    wait_until(lambda: done.search(after_the_kill()), "the poll sent after the failover", 60)
    wait_until(
        lambda: (_last_success_on(sentinel_group.replica, key_prefix) or killed_at) > killed_at,
        "a poll stored on the new master",
        60,
    )
    # Beat, too, sent its polls (every 5 s) through the new master: more ran than the one sent.
    polls_run = re.compile(r"poll_fleet\[[^\]]+\] succeeded")
    wait_until(lambda: len(polls_run.findall(after_the_kill())) >= 3, "polls sent by beat after it")
    assert worker.poll() is None and beat.poll() is None
