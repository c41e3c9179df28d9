"""Injected faults: 5xx, 429 with Retry-After, hangs, malformed bodies, outages, latency,
limited to a method or path, deterministic "next N" mode."""

import time

import pytest
import requests


def test_next_errors_fail_exactly_that_many_requests(api, sim_control):
    sim_control.set_faults(next_errors=2, error_status=503)
    statuses = [api.get("/inventory_device/").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]


def test_error_statuses_cycle_through_the_given_list(api, sim_control):
    sim_control.set_faults(next_errors=3, error_status=[500, 502, 503])
    assert [api.get("/inventory_device/").status_code for _ in range(3)] == [500, 502, 503]


def test_rate_limit_answers_429_with_retry_after(api, sim_control):
    sim_control.set_faults(next_rate_limits=1, retry_after=7)
    response = api.get("/inventory_device/")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert "detail" in response.json()


def test_hang_outlasts_a_client_timeout(api, sim_control):
    sim_control.set_faults(next_hangs=1, hang_seconds=2)
    with pytest.raises(requests.Timeout):
        api.request("GET", "/inventory_device/", timeout=0.5)


def test_a_request_in_flight_when_the_log_is_cleared_is_not_counted_after(api, sim_control):
    sim_control.set_faults(next_hangs=1, hang_seconds=1)
    with pytest.raises(requests.Timeout):
        api.request("PATCH", "/inventory_device/1003/", json={"reboot": True}, timeout=0.3)
    sim_control.clear_log()
    time.sleep(1.2)  # the hung request is answered (late) now

    assert sim_control.request_log(last=10)["total"] == 0


def test_truncated_body_is_not_valid_json(api, sim_control):
    sim_control.set_faults(next_malformed=1, malformed="truncated")
    response = api.get("/inventory_device/")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_non_json_body_is_an_html_page(api, sim_control):
    sim_control.set_faults(next_malformed=1, malformed="non_json")
    response = api.get("/inventory_device/")
    assert response.headers["Content-Type"].startswith("text/html")


def test_outage_fails_every_api_request_until_it_ends(api, sim_control):
    sim_control.set_faults(outage_seconds=1)
    assert api.get("/inventory_device/").status_code == 503
    assert api.get("/inventory_connection_profile/").status_code == 503
    time.sleep(1.1)
    assert api.get("/inventory_device/").status_code == 200


def test_faults_can_be_limited_to_a_method_and_path(api, sim_control):
    sim_control.set_faults(error_rate=1.0, method="PATCH", path="/api/v1/inventory_device/*/")
    assert api.get("/inventory_device/1001/").status_code == 200
    assert api.patch("/inventory_device/1001/", {"sync": True}).status_code in (500, 502, 503)


def test_error_rate_is_reproducible_for_the_same_request_order(api, sim_control):
    sim_control.set_faults(error_rate=0.5)
    first = [api.get("/inventory_device/").status_code for _ in range(20)]
    sim_control.set_faults(error_rate=0.5)
    second = [api.get("/inventory_device/").status_code for _ in range(20)]
    assert first == second
    assert 200 in first and any(s >= 500 for s in first)


def test_added_latency_slows_every_matching_request(api, sim_control):
    sim_control.set_faults(latency_ms=300)
    assert api.get("/inventory_device/", limit=1).elapsed.total_seconds() >= 0.3


def test_clear_faults_restores_normal_answers(api, sim_control):
    sim_control.set_faults(error_rate=1.0)
    sim_control.clear_faults()
    assert api.get("/inventory_device/").status_code == 200


def test_faulted_requests_are_in_the_request_log(api, sim_control):
    sim_control.set_faults(next_errors=1, error_status=502)
    api.get("/inventory_device/")
    entry = sim_control.request_log(last=1)["entries"][-1]
    assert (entry["status"], entry["fault"]) == (502, "error")


def test_unknown_fault_setting_is_a_400(sim_control):
    from simulator.control import SimulatorControlError

    with pytest.raises(SimulatorControlError, match="400"):
        sim_control.set_faults(explode=True)
