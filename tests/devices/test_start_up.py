"""Right after start: the worker polls at once instead of one beat interval later, and
a list read before the first poll finished says the cache is being filled, not that
Redis is unavailable."""

import pytest
from celery.signals import worker_ready

from config.celery import app
from devices import list_selectors
from fleet import polling
from fleet.locks import RedisLock
from fleet.store.queries import DeviceQuery

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_tasks():
    """Tasks sent run in this process at once, as a worker would run them."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_a_worker_polls_the_fleet_and_the_profiles_as_it_starts(
    model, still_fleet, cache_settings, eager_tasks
):
    assert model.snapshot_info() is None

    worker_ready.send(sender=None)

    assert model.query(DeviceQuery(limit=1), None).total == 300
    assert model.read_profiles().items


def test_a_worker_starting_while_another_polls_does_not_poll_the_fleet_twice(
    model, still_fleet, cache_settings, eager_tasks
):
    running = RedisLock(model.client, model.keys.poll_lock(polling.FLEET), ttl=5)
    assert running.acquire()
    still_fleet.clear_log()

    worker_ready.send(sender=None)

    assert model.snapshot_info() is None
    assert still_fleet.request_count("GET", "/api/v1/inventory_device/") == 0


def test_before_the_first_poll_the_list_says_the_cache_is_filling_not_unavailable(
    client_of, noc, still_fleet, cache_settings
):
    content = client_of(noc).get("/devices/").content.decode()

    assert list_selectors.NOTE_FILLING in content
    assert "Degraded mode" not in content and "unavailable" not in content


def test_before_the_first_poll_with_the_upstream_down_the_error_names_the_true_cause(
    client_of, noc, still_fleet, upstream_down
):
    content = client_of(noc).get("/devices/").content.decode()

    assert "still being filled and the control API could not be read" in content
    assert "unavailable" not in content
