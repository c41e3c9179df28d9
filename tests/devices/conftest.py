"""Fixtures for the fleet cache: a read model on the test's own key prefix, clients
of the session simulator, and a simulator whose fleet holds still."""

from datetime import timedelta

import pytest

from controlapi import ControlAPI
from fleet.page_writers import PageWriters
from fleet.polling import PollConfig
from fleet.read_model import ReadModel
from tests.conftest import ALL_TOKEN


@pytest.fixture
def model(redis_client, key_prefix):
    return ReadModel(redis_client, key_prefix, grace=timedelta(seconds=30))


@pytest.fixture
def api_factory(simulator):
    """Clients for the whole fleet; no retries, so an injected fault fails at once."""

    def factory(token=ALL_TOKEN):
        return ControlAPI(simulator.api_url, token, max_retries=0)

    return factory


@pytest.fixture
def poll_config():
    # Small pages, so the 300-device fleet takes several pages and parallel fetches.
    return PollConfig(page_size=25, parallel=4, lock_ttl=5.0)


@pytest.fixture(scope="session")
def page_writer_processes(redis_url):
    """Two page writer processes for the session, as a worker with POLL_PROCESSES=2 has."""
    writers = PageWriters(redis_url, processes=2)
    yield writers
    writers.close()


@pytest.fixture(params=["in the poller", "in worker processes"])
def page_writers(request):
    """Where a full poll reads and stores its pages: the poller's own process (None),
    or worker processes. Tests taking this run both ways."""
    if request.param == "in the poller":
        return None
    return request.getfixturevalue("page_writer_processes")


@pytest.fixture
def still_fleet(sim_control):
    """The simulator with its own life stopped (no churn, no flapping), so the cache
    and the simulator's answers can be compared device by device."""
    sim_control.settings(churn_per_minute=0, flap_seconds=[1e9, 1e9])
    return sim_control


@pytest.fixture
def all_devices(simulator):
    """Every device as the simulator has it now (no update_status: changes nothing)."""

    def read():
        with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
            return list(api.iter_devices(limit=100))

    return read


# A port nothing listens on: connecting there fails for real, the way an absent
# Redis or upstream does.
CLOSED_PORT_URL = "127.0.0.1:1"


@pytest.fixture
def cache_settings(settings, simulator, redis_url, key_prefix):
    """Django settings pointing the selectors and tasks at this test's Redis keys and
    at the session simulator."""
    settings.REDIS_URL = redis_url
    settings.READ_MODEL_KEY_PREFIX = key_prefix
    settings.CONTROL_API_URL = simulator.api_url
    settings.CONTROL_API_TOKEN = ALL_TOKEN
    settings.POLL_PAGE_SIZE = 50
    settings.POLL_PARALLEL_REQUESTS = 4
    return settings


@pytest.fixture
def redis_down(cache_settings):
    cache_settings.REDIS_URL = f"redis://{CLOSED_PORT_URL}/0"
    return cache_settings


@pytest.fixture
def upstream_down(cache_settings):
    cache_settings.CONTROL_API_URL = f"http://{CLOSED_PORT_URL}/api/v1"
    return cache_settings
