"""Fixtures for the profile pages: the session simulator as upstream, a read model on
the test's own key prefix (settings point the selectors at it), fixed users."""

import socket

import pytest
import requests

from controlapi import ControlAPI
from fleet.polling import poll_profiles
from fleet.read_model import ReadModel
from tests.fixtures.simulator import ALL_TOKEN


@pytest.fixture
def upstream(settings, simulator):
    """The dashboard's upstream is the session simulator, with the all-organizations token."""
    settings.CONTROL_API_URL = simulator.api_url
    settings.CONTROL_API_TOKEN = ALL_TOKEN
    return simulator


@pytest.fixture
def profile_model(settings, redis_url, redis_client, key_prefix):
    """The read model the selectors read: real Redis, this test's prefix."""
    settings.REDIS_URL = redis_url
    return ReadModel(redis_client, key_prefix)


@pytest.fixture
def polled(profile_model, upstream):
    """The profile poll has run once against the simulator; returns the snapshot."""
    poll_profiles(
        model=profile_model,
        api_factory=lambda: ControlAPI(upstream.api_url, ALL_TOKEN, max_retries=0),
    )
    return profile_model.read_profiles()


@pytest.fixture
def raw_profiles(simulator):
    """Every profile's detail as the simulator sends it, straight off the wire (JSON)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {ALL_TOKEN}"
    base = f"{simulator.api_url}/inventory_connection_profile/"
    ids, url = [], f"{base}?limit=100"
    while url:
        page = session.get(url, timeout=10).json()
        ids += [item["id"] for item in page["results"]]
        url = page["next"] and f"{base}?{page['next'].split('?', 1)[1]}"
    details = [session.get(f"{base}{i}/", timeout=10).json() for i in ids]
    session.close()
    return details


@pytest.fixture
def closed_port():
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
