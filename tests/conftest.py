"""Fixtures shared by every test folder: the simulator over real HTTP and real Redis."""

import os
import uuid

import pytest
import redis

from simulator.control import SimulatorControl
from simulator.server import SimulatorServer

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
