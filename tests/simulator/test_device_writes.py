"""Device create, replace, partial update and delete over real HTTP."""

from tests.simulator.wire import new_device_body


def test_create_answers_201_with_an_inactive_down_device_without_password(api):
    response = api.post("/inventory_device/", new_device_body())
    assert response.status_code == 201
    device = response.json()
    assert device["is_active"] is False
    assert device["status"] == "Down"
    assert device["software_version"] is None
    assert "password" not in device
    assert device["serial_number_alt"] == "ALT-ZEQTEST000002"


def test_created_device_is_listed_and_readable(api):
    created = api.post("/inventory_device/", new_device_body()).json()
    assert api.get(f"/inventory_device/{created['id']}/").json()["name"] == created["name"]
    assert api.get("/inventory_device/").json()["count"] == 301


def test_create_without_required_fields_lists_each_missing_field(api):
    response = api.post("/inventory_device/", {"description": "no name"})
    assert response.status_code == 400
    assert {"name", "serial_number", "type", "organization_id"} <= set(response.json())


def test_create_with_a_duplicate_serial_is_a_400_on_serial_number(api):
    existing = api.get("/inventory_device/1001/").json()["serial_number"]
    response = api.post("/inventory_device/", new_device_body(serial_number=existing))
    assert response.status_code == 400
    assert list(response.json()) == ["serial_number"]


def test_create_with_an_unknown_type_is_a_400(api):
    response = api.post("/inventory_device/", new_device_body(type=999))
    assert response.status_code == 400
    assert "type" in response.json()


def test_create_with_a_bad_latitude_is_a_400(api):
    response = api.post("/inventory_device/", new_device_body(latitude="north"))
    assert response.status_code == 400
    assert "latitude" in response.json()


def test_a_body_that_is_not_an_object_is_a_400_non_field_error(api):
    response = api.post("/inventory_device/", ["a", "list"])
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_invalid_json_is_a_400_non_field_error(api):
    response = api.request(
        "POST", "/inventory_device/", data="{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_patch_changes_only_the_given_field(api):
    before = api.get("/inventory_device/1001/").json()
    after = api.patch("/inventory_device/1001/", {"description": "Rack 4"}).json()
    assert after["description"] == "Rack 4"
    assert after["name"] == before["name"]
    assert after["customer_id"] == before["customer_id"]


def test_patch_with_an_unknown_field_is_a_400(api):
    response = api.patch("/inventory_device/1001/", {"explode": True})
    assert response.status_code == 400
    assert "explode" in response.json()


def test_patch_ignores_read_only_fields_echoed_back(api):
    response = api.patch("/inventory_device/1001/", {"status": "Down", "id": 5})
    assert response.status_code == 200
    assert response.json()["id"] == 1001


def test_operation_flag_with_a_non_boolean_is_a_400(api):
    response = api.patch("/inventory_device/1001/", {"reboot": "yes"})
    assert response.status_code == 400
    assert "reboot" in response.json()


def test_put_resets_writable_fields_left_out(api):
    current = api.get("/inventory_device/1001/").json()
    body = {k: current[k] for k in ("name", "serial_number", "type", "organization_id")}
    replaced = api.put("/inventory_device/1001/", body).json()
    assert current["customer_id"] is not None
    assert replaced["customer_id"] is None
    assert replaced["location_name"] is None
    assert replaced["update_frequency"] == 300


def test_put_of_the_full_current_record_changes_nothing_writable(api):
    current = api.get("/inventory_device/1001/").json()
    replaced = api.put("/inventory_device/1001/", {**current, "description": "new"}).json()
    for field in ("name", "customer_id", "location_name", "latitude", "username"):
        assert replaced[field] == current[field]
    assert replaced["description"] == "new"


def test_put_without_required_fields_is_a_400(api):
    response = api.put("/inventory_device/1001/", {"name": "only a name"})
    assert response.status_code == 400
    assert "serial_number" in response.json()


def test_put_changing_location_name_to_a_known_site_sets_its_location(api):
    current = api.get("/inventory_device/1001/").json()
    body = {**current, "location_name": "New York Branch Office"}
    replaced = api.put("/inventory_device/1001/", body).json()
    assert replaced["location_short_name"] == "ny_branch"


def test_delete_answers_204_and_the_device_is_gone(api):
    device = next(d for d in api.all_devices() if d["pending_settings"] is None)
    assert api.delete(f"/inventory_device/{device['id']}/").status_code == 204
    assert api.get(f"/inventory_device/{device['id']}/").status_code == 404


def test_delete_of_an_unknown_device_is_a_404(api):
    assert api.delete("/inventory_device/999999/").status_code == 404


def test_delete_with_pending_work_is_a_409_with_detail(api):
    api.patch("/inventory_device/1003/", {"sync": True})
    response = api.delete("/inventory_device/1003/")
    assert response.status_code == 409
    assert "pending" in response.json()["detail"]


def test_write_bodies_in_the_request_log_have_passwords_redacted(api, sim_control):
    api.post("/inventory_device/", new_device_body(password="hunter2-secret"))
    entry = sim_control.request_log(last=1)["entries"][-1]
    assert entry["body"]["password"] == "***"
    assert "hunter2-secret" not in str(sim_control.request_log())


def test_put_without_password_keeps_the_stored_password(api, simulator):
    current = api.get("/inventory_device/1001/").json()
    api.put("/inventory_device/1001/", current)
    # The password is never served, so the test reads the simulator's own state.
    assert simulator.simulator.state.devices[1001].password is not None
