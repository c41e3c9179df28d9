"""Bearer tokens: 401 without a good one, 403 outside the token's organizations."""

from tests.fixtures.simulator import TENANT_ORGS
from tests.simulator.wire import new_device_body


def _device_outside_tenant(api) -> dict:
    return next(d for d in api.all_devices() if d["organization_id"] not in TENANT_ORGS)


def test_missing_token_is_a_401_with_detail(anonymous_api):
    response = anonymous_api.get("/inventory_device/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_unknown_token_is_a_401(simulator, sim_control):
    from tests.simulator.wire import ApiClient

    response = ApiClient(simulator.api_url, "not-a-token").get("/inventory_device/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_tenant_token_lists_only_its_organizations(tenant_api):
    items = tenant_api.all_devices()
    assert items
    assert {d["organization_id"] for d in items} == TENANT_ORGS


def test_tenant_count_matches_the_sum_of_its_organizations(api, tenant_api):
    total = sum(api.get("/inventory_device/", organization=o).json()["count"] for o in TENANT_ORGS)
    assert tenant_api.get("/inventory_device/").json()["count"] == total


def test_organization_filter_outside_the_token_is_a_403(tenant_api):
    response = tenant_api.get("/inventory_device/", organization=11)
    assert response.status_code == 403
    assert "detail" in response.json()


def test_detail_outside_the_token_is_a_403(api, tenant_api):
    outsider = _device_outside_tenant(api)
    assert tenant_api.get(f"/inventory_device/{outsider['id']}/").status_code == 403


def test_write_outside_the_token_is_a_403_and_changes_nothing(api, tenant_api):
    outsider = _device_outside_tenant(api)
    path = f"/inventory_device/{outsider['id']}/"
    assert tenant_api.patch(path, {"description": "mine now"}).status_code == 403
    assert tenant_api.delete(path).status_code == 403
    assert api.get(path).json()["description"] == outsider["description"]


def test_moving_a_device_to_an_organization_outside_the_token_is_a_403(tenant_api):
    device = tenant_api.get("/inventory_device/", limit=1).json()["results"][0]
    response = tenant_api.patch(f"/inventory_device/{device['id']}/", {"organization_id": 11})
    assert response.status_code == 403


def test_create_in_an_organization_outside_the_token_is_a_403_and_creates_nothing(api, tenant_api):
    response = tenant_api.post("/inventory_device/", new_device_body(organization_id=11))
    assert response.status_code == 403
    assert api.get("/inventory_device/").json()["count"] == 300


def test_create_inside_the_token_succeeds(tenant_api):
    assert (
        tenant_api.post("/inventory_device/", new_device_body(organization_id=7)).status_code == 201
    )


def test_headless_operation_on_a_device_outside_the_token_is_a_403(api, tenant_api):
    outsider = _device_outside_tenant(api)
    response = tenant_api.post(
        "/inventory_device_serial_headless_operation/",
        {
            "device_serial": outsider["serial_number"],
            "operation_type": "reboot",
            "scheduled_time": "2030-01-01T00:00:00+00:00",
        },
    )
    assert response.status_code == 403


def test_device_operation_outside_the_token_is_a_403(api, tenant_api):
    outsider = _device_outside_tenant(api)
    response = tenant_api.put(
        f"/inventory_device_operation/{outsider['id']}/", {"operational_status": "maintenance"}
    )
    assert response.status_code == 403


def test_profiles_are_visible_to_a_tenant_token(tenant_api):
    assert tenant_api.get("/inventory_connection_profile/").json()["count"] == 30
