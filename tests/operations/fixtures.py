"""Fixtures for the device detail, action and operations tests (import them by name).

The dashboard's upstream is the session simulator (over real HTTP) and its read
model lives under the test's own Redis key prefix; the fleet is polled into it
once, as the Celery beat poll would.
"""

import pytest

from controlapi import ControlAPI
from devices import configured
from fleet.polling import PollConfig, poll_fleet
from tests.conftest import ALL_TOKEN


@pytest.fixture
def upstream(settings, simulator, sim_control, key_prefix):
    """The dashboard pointed at the simulator, its fleet holding still, work confirmed fast."""
    settings.CONTROL_API_URL = simulator.api_url
    settings.CONTROL_API_TOKEN = ALL_TOKEN
    settings.READ_MODEL_KEY_PREFIX = key_prefix
    sim_control.settings(churn_per_minute=0, flap_seconds=[1e9, 1e9], op_delay_seconds=1.0)
    return sim_control


@pytest.fixture
def cached_fleet(upstream):
    """The simulator's fleet in the read model, as after one full poll."""
    poll_fleet(
        model=configured.read_model(for_pages=False),
        api_factory=configured.upstream(),
        config=PollConfig(page_size=100, parallel=2, lock_ttl=5.0),
    )
    return upstream


@pytest.fixture
def fleet_devices(simulator):
    with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
        return list(api.iter_devices(limit=100))


@pytest.fixture
def device_of_org(fleet_devices):
    """`device_of_org(5)`: an Up device of that organization with nothing pending."""

    def pick(org_id):
        return next(
            d
            for d in fleet_devices
            if d.organization_id == org_id and d.is_up and not d.pending_settings and d.name
        )

    return pick


def writes(sim_control, device_id, method="PATCH"):
    """How many writes of `method` the simulator answered for this device, injected hangs
    left out (a hang from an earlier test may be logged late, when it finally answers)."""
    path = f"/api/v1/inventory_device/{device_id}/"
    entries = sim_control.request_log(last=1000)["entries"]
    return sum(
        1 for e in entries if e["method"] == method and e["path"] == path and e["fault"] != "hang"
    )


@pytest.fixture
def celery_eager():
    """Runs queued Celery tasks in the calling thread, for tests that press "Refresh".

    A real worker is exercised by the demo; here the task runs inside the request, so the
    test sees its effect without a broker round trip. Only the tests that ask for it.
    """
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous
