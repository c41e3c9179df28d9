"""/readyz: 200 when the database, Redis (new enough), the broker, a worker and a recent fleet
poll are all there; otherwise 503 naming each reason in words."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import OperationalError

from fleet import polling, worker_heartbeat
from tests.fixtures.fleet import CLOSED_PORT_URL


@pytest.fixture
def ready(db, cache_settings, redis_url, redis_client, key_prefix, model, api_factory, poll_config):
    """Everything a deployment needs: a poll just succeeded and a worker beat (its stand-in:
    the beat a worker's heartbeat thread writes)."""
    cache_settings.CELERY_BROKER_URL = redis_url
    cache_settings.READY_MAX_POLL_AGE_SECONDS = 300
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    worker_heartbeat.beat(redis_client, key_prefix, "celery@worker-1")
    return cache_settings


def _reasons(response):
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    return " ".join(body["reasons"])


def test_ready_when_everything_answers(client, ready):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "redis", "broker", "worker", "fleet_poll"}
    assert "celery@worker-1" in body["checks"]["worker"]
    assert response["Cache-Control"].startswith("max-age=0")


def test_redis_down_is_named(client, ready):
    ready.REDIS_URL = f"redis://{CLOSED_PORT_URL}/0"

    reasons = _reasons(client.get("/readyz"))

    assert "Redis (the fleet cache) does not answer." in reasons
    assert CLOSED_PORT_URL not in reasons


def test_a_redis_too_old_is_named_with_its_version(client, ready, old_redis):
    ready.REDIS_URL = old_redis

    reasons = _reasons(client.get("/readyz"))

    assert "Redis is Redis 6.2" in reasons and "needs Redis 7.0 or newer" in reasons
    assert "hunter2" not in reasons


def test_a_broker_down_is_named(client, ready):
    ready.CELERY_BROKER_URL = f"redis://{CLOSED_PORT_URL}/0"

    assert "The Celery broker does not answer." in _reasons(client.get("/readyz"))


def test_an_old_fleet_poll_is_named_with_its_age(client, ready, model):
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    model.poll_succeeded(polling.FLEET, at=long_ago, duration=1, devices=1, pages=1, mode="full")

    reasons = _reasons(client.get("/readyz"))

    assert "The last successful fleet poll started 2 hours ago" in reasons
    assert "READY_MAX_POLL_AGE_SECONDS" in reasons


def test_failed_attempts_are_counted_without_their_words(client, ready, model):
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    model.poll_succeeded(polling.FLEET, at=long_ago, duration=1, devices=1, pages=1, mode="full")
    for _ in range(2):
        model.poll_failed(
            polling.FLEET,
            at=datetime.now(UTC),
            duration=1,
            error="The poll stopped: ConnectionError('Error 111 connecting to 10.9.8.7:6379.')",
            pages=0,
            mode="full",
        )

    reasons = _reasons(client.get("/readyz"))

    assert "The last 2 attempts failed; the overview page says why." in reasons
    assert "10.9.8.7" not in reasons


def test_a_fleet_never_polled_is_named(db, client, cache_settings, redis_client, key_prefix):
    cache_settings.CELERY_BROKER_URL = cache_settings.REDIS_URL
    worker_heartbeat.beat(redis_client, key_prefix, "celery@worker-1")

    assert "No fleet poll has succeeded yet." in _reasons(client.get("/readyz"))


def test_no_worker_is_named(client, ready, redis_client, key_prefix):
    worker_heartbeat.forget(redis_client, key_prefix, "celery@worker-1")

    assert "No Celery worker has reported since Redis started." in _reasons(client.get("/readyz"))


def test_a_silent_worker_is_named(client, ready, redis_client, key_prefix):
    worker_heartbeat.beat(redis_client, key_prefix, "celery@worker-1", now=time.time() - 600)

    reasons = _reasons(client.get("/readyz"))

    assert "No Celery worker has reported for 10 minutes (last: celery@worker-1)." in reasons


def test_a_database_that_does_not_answer_is_named(client, ready, monkeypatch):
    # The test database cannot be stopped under the test: its cursor fails as a dead one does.
    from monitoring import readiness

    def refuse():
        raise OperationalError("connection refused")

    with monkeypatch.context() as patched:  # undone before the test database is torn down
        patched.setattr(readiness.connection, "cursor", refuse)
        response = client.get("/readyz")

    assert "The database does not answer." in _reasons(response)
