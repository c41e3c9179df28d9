"""The client tells an observer of every request it sends (the dashboard's metrics), retries
included, by endpoint with ids folded, and an observer that fails never fails the call."""

import pytest

from controlapi import ControlAPI, errors
from controlapi.client import endpoint_of
from tests.fixtures.simulator import ALL_TOKEN


@pytest.fixture
def seen():
    return []


@pytest.fixture
def observed(simulator, sim_control, seen):
    def observer(method, endpoint, outcome):
        seen.append((method, endpoint, outcome))

    with ControlAPI(simulator.api_url, ALL_TOKEN, backoff=0.01, observer=observer) as api:
        yield api


def test_each_request_is_observed_with_its_endpoint_and_status(observed, seen):
    observed.get_device(1001)
    observed.reboot(1002)
    with pytest.raises(errors.NotFound):
        observed.get_device(999999999)

    assert seen == [
        ("GET", "/inventory_device/{id}/", "200"),
        ("PATCH", "/inventory_device/{id}/", "200"),
        ("GET", "/inventory_device/{id}/", "404"),
    ]


def test_a_retried_get_is_observed_once_per_attempt(observed, seen, sim_control):
    sim_control.set_faults(next_errors=1, error_status=[503])

    observed.list_devices(limit=1)

    assert [outcome for _, _, outcome in seen] == ["503", "200"]
    assert {endpoint for _, endpoint, _ in seen} == {"/inventory_device/"}


def test_an_upstream_that_cannot_be_reached_is_observed_as_such(seen):
    def observer(*call):
        seen.append(call)

    api = ControlAPI("http://127.0.0.1:1/api/v1", ALL_TOKEN, max_retries=0, observer=observer)
    with pytest.raises(errors.Unavailable):
        api.get_device(1001)

    assert seen == [("GET", "/inventory_device/{id}/", "unreachable")]


def test_an_observer_that_fails_never_fails_the_call(simulator, sim_control):
    def broken(*call):
        raise RuntimeError("metrics backend away")

    with ControlAPI(simulator.api_url, ALL_TOKEN, observer=broken) as api:
        assert api.get_device(1001).id == 1001


def test_ids_are_folded_out_of_endpoints():
    assert endpoint_of("/inventory_device/1001/") == "/inventory_device/{id}/"
    assert endpoint_of("/inventory_connection_profile/7/") == "/inventory_connection_profile/{id}/"
    assert endpoint_of("/inventory_device/") == "/inventory_device/"
