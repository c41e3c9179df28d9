"""Device list and detail over real HTTP: fields, filters, pages and error bodies."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

LIST_FIELDS = {
    "id",
    "uuid",
    "name",
    "customer_id",
    "is_active",
    "status",
    "status_change",
    "type",
    "type_short_name",
    "software_version",
    "hardware_version",
    "manufacturer",
    "serial_number",
    "description",
    "organization_id",
    "location_name",
    "location",
    "location_short_name",
    "latitude",
    "longitude",
    "address",
    "last_connection",
    "last_configuration",
    "created",
    "pending_settings",
}
DETAIL_EXTRA = {
    "unique_identifier",
    "product_class",
    "serial_number_alt",
    "firmware_image",
    "firmware_image_is_pending",
    "username",
    "update_frequency",
    "last_change",
    "debug",
}


def test_list_items_carry_every_contract_field(api):
    page = api.get("/inventory_device/").json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 300
    assert all(set(item) == LIST_FIELDS for item in page["results"])


def test_detail_adds_the_detail_fields_and_never_the_password(api):
    device = api.get("/inventory_device/1001/").json()
    assert set(device) == LIST_FIELDS | DETAIL_EXTRA
    assert "password" not in device


def test_default_page_is_twenty_devices_in_id_order(api):
    results = api.get("/inventory_device/").json()["results"]
    ids = [d["id"] for d in results]
    assert len(ids) == 20
    assert ids == sorted(ids)


def test_limit_above_the_maximum_is_clamped_to_100(api):
    assert len(api.get("/inventory_device/", limit=500).json()["results"]) == 100


def test_next_link_names_the_production_host_and_keeps_every_parameter(api):
    page = api.get("/inventory_device/", status="1", organization=5, limit=10).json()
    link = urlsplit(page["next"])
    assert (link.scheme, link.netloc, link.path) == (
        "https",
        "control.zequenze.com",
        "/api/v1/inventory_device/",
    )
    assert parse_qs(link.query) == {
        "status": ["1"],
        "organization": ["5"],
        "limit": ["10"],
        "offset": ["10"],
    }


def test_previous_link_of_the_second_page_has_no_offset(api):
    page = api.get("/inventory_device/", limit=10, offset=10).json()
    assert "offset" not in parse_qs(urlsplit(page["previous"]).query)


def test_last_page_has_no_next_link(api):
    page = api.get("/inventory_device/", limit=100, offset=200).json()
    assert page["next"] is None
    assert len(page["results"]) == 100


def test_status_filter_accepts_every_documented_spelling(api):
    up = {api.get("/inventory_device/", status=s).json()["count"] for s in ("1", "true", "True")}
    down = {
        api.get("/inventory_device/", status=s).json()["count"] for s in ("0", "false", "False")
    }
    assert len(up) == 1 and len(down) == 1
    assert up.pop() + down.pop() == 300


def test_status_filter_returns_only_devices_of_that_status(api):
    items = api.get("/inventory_device/", status="0", limit=100).json()["results"]
    assert items and {d["status"] for d in items} == {"Down"}


def test_unknown_status_value_is_a_400_naming_the_field(api):
    response = api.get("/inventory_device/", status="up")
    assert response.status_code == 400
    assert list(response.json()) == ["status"]
    assert isinstance(response.json()["status"], list)


def test_non_integer_organization_is_a_400(api):
    response = api.get("/inventory_device/", organization="five")
    assert response.status_code == 400
    assert "organization" in response.json()


def test_non_integer_type_is_a_400(api):
    assert api.get("/inventory_device/", type="router").status_code == 400


def test_type_filter_returns_only_that_type(api):
    items = api.get("/inventory_device/", type=12, limit=100).json()["results"]
    assert items and {d["type"] for d in items} == {12}
    assert {d["type_short_name"] for d in items} == {"enterprise_router"}


def test_last_status_change_from_keeps_devices_changed_at_or_after_it(api):
    since = datetime.now(UTC) - timedelta(days=1)
    items = api.all_devices(last_status_change_from=since.isoformat())
    assert items
    assert all(
        datetime.fromisoformat(d["status_change"]) >= since.replace(microsecond=0) for d in items
    )
    assert len(items) < 300


def test_last_status_change_from_accepts_an_unencoded_plus(api):
    # curl users send "+00:00" unencoded, which arrives as a space.
    response = api.request(
        "GET", "/inventory_device/?last_status_change_from=2000-01-01T00:01:00+00:00"
    )
    assert response.status_code == 200
    assert response.json()["count"] > 0


def test_last_status_change_from_without_offset_is_a_400(api):
    response = api.get("/inventory_device/", last_status_change_from="2024-01-01T00:00:00")
    assert response.status_code == 400
    assert "last_status_change_from" in response.json()


def test_bad_limit_is_a_400(api):
    assert api.get("/inventory_device/", limit="0").status_code == 400
    assert api.get("/inventory_device/", limit="many").status_code == 400


def test_bad_pending_value_is_a_400(api):
    assert api.get("/inventory_device/", pending="maybe").status_code == 400


def test_never_connected_devices_have_null_versions_and_times(api):
    never = [d for d in api.all_devices() if d["last_connection"] is None]
    assert never, "the fleet has about 2% never-connected devices"
    for device in never:
        assert device["status"] == "Down"
        assert device["software_version"] is None
        assert device["manufacturer"] is None
        assert device["status_change"] is None


def test_serial_numbers_are_unique(api):
    serials = [d["serial_number"] for d in api.all_devices()]
    assert len(serials) == len(set(serials))


def test_coordinates_are_decimal_strings(api):
    device = api.get("/inventory_device/1001/").json()
    assert isinstance(device["latitude"], str)
    float(device["latitude"]), float(device["longitude"])


def test_unknown_device_is_a_404_with_detail(api):
    response = api.get("/inventory_device/999999/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_non_numeric_device_id_is_a_404(api):
    assert api.get("/inventory_device/abc/").status_code == 404


def test_unknown_path_is_a_json_404(api):
    response = api.get("/inventory_nothing/")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_unsupported_method_is_a_405_naming_the_allowed_ones(api):
    response = api.request("DELETE", "/inventory_device/")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"


def test_pending_true_gives_entries_with_values_and_without_it_bare_names(api, sim_control):
    api.patch("/inventory_device/1002/", {"reboot": True})
    bare = api.get("/inventory_device/1002/").json()["pending_settings"]
    detailed = api.get("/inventory_device/1002/", pending="true").json()["pending_settings"]
    assert bare == "reboot_scheduled"
    assert detailed.startswith("reboot_scheduled:")
    datetime.fromisoformat(detailed.split(":", 1)[1])


def test_update_status_is_slower_by_the_configured_latency(api, sim_control):
    sim_control.settings(update_status_latency_ms=300)
    fast = api.get("/inventory_device/", limit=1).elapsed.total_seconds()
    slow = api.get("/inventory_device/", limit=1, update_status="true").elapsed.total_seconds()
    assert slow >= 0.3 > fast
