"""Helpers for the simulator's tests: plain HTTP against the session simulator."""

import pytest

from tests.fixtures.simulator import ALL_TOKEN, TENANT_TOKEN
from tests.simulator.wire import ApiClient


@pytest.fixture
def api(simulator, sim_control):
    """A client with the all-organizations token, on a freshly reset simulator."""
    client = ApiClient(simulator.api_url, ALL_TOKEN)
    yield client
    client.session.close()


@pytest.fixture
def tenant_api(simulator, sim_control):
    client = ApiClient(simulator.api_url, TENANT_TOKEN)
    yield client
    client.session.close()


@pytest.fixture
def anonymous_api(simulator, sim_control):
    client = ApiClient(simulator.api_url, None)
    yield client
    client.session.close()
