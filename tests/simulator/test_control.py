"""The /_sim/ control endpoints: token, reset, resize, status, answered fields, request log,
organizations."""

import pytest
import requests

from simulator.control import SimulatorControl, SimulatorControlError


def test_control_endpoints_need_the_control_token(simulator, sim_control):
    response = requests.post(f"{simulator.base_url}/_sim/reset", timeout=10)
    assert response.status_code == 401
    with pytest.raises(SimulatorControlError, match="401"):
        SimulatorControl(simulator.base_url, "wrong").organizations()


def test_api_token_does_not_open_the_control_endpoints(simulator, sim_control):
    from tests.fixtures.simulator import ALL_TOKEN

    with pytest.raises(SimulatorControlError, match="401"):
        SimulatorControl(simulator.base_url, ALL_TOKEN).reset()


def test_request_log_counts_requests_per_method_and_path(api, sim_control):
    api.get("/inventory_device/")
    api.get("/inventory_device/", limit=5)
    api.get("/inventory_device/1001/")
    counts = sim_control.request_log()["counts"]
    assert counts["GET /api/v1/inventory_device/"] == 2
    assert counts["GET /api/v1/inventory_device/1001/"] == 1


def test_request_log_entries_carry_method_path_query_and_status(api, sim_control):
    api.get("/inventory_device/", status="1")
    entry = sim_control.request_log(last=1)["entries"][-1]
    assert {k: entry[k] for k in ("method", "path", "query", "status")} == {
        "method": "GET",
        "path": "/api/v1/inventory_device/",
        "query": "status=1",
        "status": 200,
    }
    assert entry["time"].endswith("Z")


def test_clear_log_empties_it(api, sim_control):
    api.get("/inventory_device/")
    sim_control.clear_log()
    assert sim_control.request_log() == {"total": 0, "counts": {}, "entries": []}


def test_reset_restores_the_seed_state(api, sim_control):
    original = api.get("/inventory_device/1001/").json()
    api.patch("/inventory_device/1001/", {"description": "changed"})
    api.delete("/inventory_device/1002/")
    sim_control.reset()
    assert api.get("/inventory_device/1001/").json()["description"] == original["description"]
    assert api.get("/inventory_device/1002/").status_code == 200


def test_resize_changes_the_fleet_size(api, sim_control):
    sim_control.resize(1000)
    assert api.get("/inventory_device/").json()["count"] == 1000


def test_set_status_takes_a_device_down(api, sim_control):
    sim_control.set_status(1001, up=False)
    device = api.get("/inventory_device/1001/").json()
    assert device["status"] == "Down"


def test_answered_fields_are_sent_as_they_are_until_the_reset(api, sim_control):
    huge = 123456789012345678901234567890
    sim_control.answer_fields(1001, type=huge, update_frequency="soon")

    listed = api.get("/inventory_device/", limit=1).json()["results"][0]
    detail = api.get("/inventory_device/1001/").json()

    assert listed["type"] == detail["type"] == huge
    assert "update_frequency" not in listed and detail["update_frequency"] == "soon"
    sim_control.reset()
    assert api.get("/inventory_device/1001/").json()["type"] != huge


def test_answered_fields_add_up_on_their_device_only(api, sim_control):
    # Devices without answered fields share one empty mapping (memory at a million
    # devices): a write must give its device fields of its own, not change the shared one.
    sim_control.answer_fields(1001, update_frequency="soon")
    sim_control.answer_fields(1001, debug="maybe")

    first = api.get("/inventory_device/1001/").json()
    other = api.get("/inventory_device/1002/").json()

    assert (first["update_frequency"], first["debug"]) == ("soon", "maybe")
    assert other["update_frequency"] != "soon" and other["debug"] != "maybe"


def test_answered_fields_refuse_the_id(sim_control):
    with pytest.raises(SimulatorControlError, match="400"):
        sim_control.answer_fields(1001, id=5)


def test_profile_fields_change_the_profile_until_the_reset(api, sim_control):
    sim_control.profile_fields(12, health_status={"connectivity": "unreachable"})

    detail = api.get("/inventory_connection_profile/12/").json()

    assert detail["health_status"] == {"connectivity": "unreachable"}
    sim_control.reset()
    assert api.get("/inventory_connection_profile/12/").json()["health_status"] != {
        "connectivity": "unreachable"
    }


def test_profile_fields_refuse_the_id_and_an_unknown_profile(sim_control):
    with pytest.raises(SimulatorControlError, match="400"):
        sim_control.profile_fields(12, id=5)
    with pytest.raises(SimulatorControlError, match="404"):
        sim_control.profile_fields(999, name="x")


def test_organizations_lists_ids_names_and_sizes(sim_control):
    organizations = sim_control.organizations()
    assert [o["id"] for o in organizations] == [5, 7, 11, 12, 19, 23]
    assert all(o["name"] for o in organizations)
    sizes = [o["devices"] for o in organizations]
    assert sum(sizes) == 300
    assert max(sizes) > 2 * min(sizes), "organizations are deliberately unevenly sized"


def test_settings_reject_unknown_names(sim_control):
    with pytest.raises(SimulatorControlError, match="400"):
        sim_control.settings(warp_speed=9)


def test_max_limit_setting_changes_the_clamp(api, sim_control):
    sim_control.settings(max_limit=10)
    assert len(api.get("/inventory_device/", limit=50).json()["results"]) == 10


def test_openapi_document_is_served_without_auth(simulator):
    response = requests.get(f"{simulator.api_url}/openapi.yaml", timeout=10)
    assert response.status_code == 200
    assert response.text.startswith("openapi: 3.")


def test_catalog_lists_device_types_with_their_firmware_images(api, sim_control):
    types = {t["id"]: t for t in sim_control.device_types()}
    assert types[12]["type_short_name"] == "enterprise_router"
    image = types[12]["firmware_images"][-1]
    device = api.get("/inventory_device/", type=12, limit=1).json()["results"][0]
    body = {"firmware_image": image["id"], "firmware_image_is_pending": True}
    assert api.patch(f"/inventory_device/{device['id']}/", body).status_code == 200
