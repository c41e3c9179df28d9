"""The client against the simulator over real HTTP: every endpoint, every error class,
retries of GETs and single writes, counted in the simulator's request log."""

import math
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import orjson
import pytest
import requests

from controlapi import ControlAPI, errors
from controlapi.device_pages import read_device_cache_page
from controlapi.records import Device, DeviceOperation, HeadlessOperation, Profile
from simulator import catalog
from tests.fixtures.simulator import ALL_TOKEN, TENANT_ORGS, TENANT_TOKEN

API = "/api/v1"
PRODUCTION_HOST = "https://control.zequenze.com"


@pytest.fixture
def api(simulator, sim_control):
    # Short backoff: retries happen for real, just quickly.
    with ControlAPI(simulator.api_url, ALL_TOKEN, backoff=0.01, timeout=(2, 10)) as client:
        yield client


@pytest.fixture
def make_client(simulator, sim_control):
    """A client with options of the test's own (token, timeout, retry budget), closed after."""
    clients = []

    def make(token=ALL_TOKEN, **options):
        clients.append(ControlAPI(simulator.api_url, token, **options))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def tenant_api(simulator, sim_control):
    with ControlAPI(simulator.api_url, TENANT_TOKEN, backoff=0.01) as client:
        yield client


def count(sim_control, method, path):
    return sim_control.request_count(method, API + path)


def first_device(api, **filters) -> Device:
    return api.list_devices(limit=1, **filters).items[0]


def new_device_fields(serial="NOC-TEST-0001", **changes):
    fields = {
        "name": "Router-Test-Lab-001",
        "customer_id": "CUST-TEST-001",
        "serial_number": serial,
        "serial_number_alt": "ALT-" + serial,
        "type": 12,
        "organization_id": 5,
        "location_name": "Test Lab",
        "latitude": "40.7128",
        "longitude": "-74.0060",
        "description": "created by the client tests",
        "username": "device_admin",
        "password": "s3cret-device-pass",
        "update_frequency": 300,
    }
    fields.update(changes)
    return fields


# --- devices: reads ------------------------------------------------------------


def test_list_devices_returns_one_page_of_normalised_devices(api):
    page = api.list_devices(limit=10, offset=20)
    assert page.count == 300
    assert len(page.items) == 10 and all(isinstance(d, Device) for d in page.items)
    assert (page.next_offset, page.previous_offset, page.has_next) == (30, 10, True)
    assert all(d.created is None or d.created.tzinfo is not None for d in page.items)


def test_device_cache_page_holds_the_cache_form_of_the_same_devices(api):
    # No update_status: the simulated fleet does not change between the two reads.
    cached = api.read_device_page(read_device_cache_page, status=True, limit=10, offset=5)
    listed = api.list_devices(status=True, limit=10, offset=5)
    assert cached.count == listed.count and cached.next_offset == listed.next_offset == 15
    stored = [Device.from_cache(orjson.loads(item.json)) for item in cached.items]
    assert stored == list(listed.items)
    assert all(item.device.status == "Up" for item in cached.items)


def test_list_devices_filters_by_status_organization_and_type(api):
    down = api.list_devices(status=False, organization=5, limit=100)
    assert down.count > 0
    assert all(not d.is_up and d.organization_id == 5 for d in down.items)
    routers = api.list_devices(type=21, limit=100)
    assert routers.count > 0 and all(d.type == 21 for d in routers.items)


def test_list_devices_filters_by_last_status_change_with_an_aware_datetime(api, sim_control):
    device = first_device(api)
    since = device.status_change
    changed = list(api.iter_devices(last_status_change_from=since))
    assert device.id in {d.id for d in changed}
    assert all(d.status_change >= since for d in changed)
    query = sim_control.request_log(last=1)["entries"][-1]["query"]
    assert "last_status_change_from=" in query and "%2B00%3A00" in query  # offset kept, encoded
    assert len(changed) < api.list_devices(limit=1).count  # the filter did filter


def test_one_client_serves_parallel_page_fetches_from_its_pool(api, caplog):
    # The poller fetches pages from threads sharing one client: every page arrives, and
    # the pool is large enough that urllib3 never discards connections.
    offsets = range(0, 300, 20)
    with ThreadPoolExecutor(max_workers=12) as pool:
        pages = list(pool.map(lambda offset: api.list_devices(limit=20, offset=offset), offsets))
    ids = [d.id for page in pages for d in page.items]
    assert len(ids) == len(set(ids)) == 300
    assert "Connection pool is full" not in caplog.text


def test_iter_devices_follows_next_links_on_the_production_host_across_pages(
    api, simulator, sim_control
):
    raw = requests.get(
        simulator.api_url + "/inventory_device/?organization=5&limit=25",
        headers={"Authorization": f"Bearer {ALL_TOKEN}"},
        timeout=5,
    ).json()
    assert raw["next"].startswith(PRODUCTION_HOST)  # the links do name another host
    sim_control.clear_log()

    devices = list(api.iter_devices(organization=5, limit=25))

    assert len(devices) == raw["count"] > 25
    assert len({d.id for d in devices}) == len(devices)
    assert all(d.organization_id == 5 for d in devices)
    pages = math.ceil(raw["count"] / 25)
    assert count(sim_control, "GET", "/inventory_device/") == pages


def test_get_device_has_the_detail_fields_and_pending_values(api):
    device = api.reboot(first_device(api).id)
    detail = api.get_device(device.id, pending=True)
    assert detail.unique_identifier and detail.product_class
    assert detail.debug is not None and detail.firmware_image_is_pending is not None
    (reboot,) = [s for s in detail.pending_settings if s.name == "reboot_scheduled"]
    assert datetime.fromisoformat(reboot.value).tzinfo is not None  # the value kept its colons


def test_get_device_with_update_status_asks_the_upstream_to_refresh(api, sim_control):
    device_id = first_device(api, status=True).id
    api.get_device(device_id, update_status=True)
    assert "update_status=true" in sim_control.request_log(last=1)["entries"][-1]["query"]


# --- devices: writes -----------------------------------------------------------


def test_create_device_returns_the_new_device_without_its_password(api, sim_control):
    device = api.create_device(new_device_fields())
    assert device.serial_number == "NOC-TEST-0001" and device.organization_id == 5
    assert not device.is_up  # Down until it first connects
    assert device.software_version is None and device.last_connection is None
    assert "s3cret-device-pass" not in repr(device) and "password" not in device.extra
    assert api.get_device(device.id).name == "Router-Test-Lab-001"


def test_replace_device_resets_fields_left_out(api):
    device = api.create_device(new_device_fields(serial="NOC-TEST-PUT"))
    fields = new_device_fields(serial="NOC-TEST-PUT", name="Replaced")
    del fields["description"], fields["password"]
    replaced = api.replace_device(device.id, fields)
    assert replaced.name == "Replaced"
    assert not replaced.description  # reset because left out


def test_update_device_changes_only_the_given_fields(api):
    device = api.create_device(new_device_fields(serial="NOC-TEST-PATCH"))
    updated = api.update_device(device.id, {"description": "moved to rack 4"})
    assert updated.description == "moved to rack 4"
    assert updated.name == device.name and updated.location_name == device.location_name


def test_delete_device_removes_it(api):
    device = api.create_device(new_device_fields(serial="NOC-TEST-DEL"))
    assert api.delete_device(device.id) is None
    with pytest.raises(errors.NotFound):
        api.get_device(device.id)


@pytest.mark.parametrize(
    ("operation", "flag", "pending_name"),
    [
        ("reboot", {"reboot": True}, "reboot_scheduled"),
        ("factory_reset", {"factory": True}, "factory_reset"),
        ("device_factory_reset", {"device_factory": True}, "device_factory_reset"),
        ("sync", {"sync": True}, "sync"),
        ("reconfigure", {"reconf": True}, "reconf"),
    ],
)
def test_each_device_operation_is_one_patch_with_its_flag(
    api, sim_control, operation, flag, pending_name
):
    device_id = first_device(api).id
    sim_control.clear_log()
    device = getattr(api, operation)(device_id)
    (entry,) = sim_control.request_log()["entries"]
    assert (entry["method"], entry["body"]) == ("PATCH", flag)
    assert pending_name in {s.name for s in device.pending_settings}


def test_set_debug_sends_the_debug_flag(api, sim_control):
    device = api.get_device(first_device(api).id)
    sim_control.clear_log()
    changed = api.set_debug(device.id, not device.debug)
    assert sim_control.request_log()["entries"][0]["body"] == {"debug": not device.debug}
    assert {s.name for s in changed.pending_settings} >= {"debug"}


def test_schedule_firmware_sends_the_image_and_the_pending_flag(api, sim_control):
    device = first_device(api)
    image_id = catalog.DEVICE_TYPES_BY_ID[device.type].firmware[0].id
    sim_control.clear_log()
    changed = api.schedule_firmware(device.id, image_id)
    body = sim_control.request_log()["entries"][0]["body"]
    assert body == {"firmware_image": image_id, "firmware_image_is_pending": True}
    assert changed.firmware_image == image_id and changed.firmware_image_is_pending is True


# --- profiles ------------------------------------------------------------------


def test_profiles_of_both_shapes_read_through_the_same_fields(api):
    profiles = list(api.iter_profiles(limit=7))
    assert {p.shape for p in profiles} == {"v1", "v2"}
    for listed in profiles:
        profile = api.get_profile(listed.id)
        assert isinstance(profile, Profile) and profile.shape == listed.shape
        assert profile.kind is not None
        assert profile.timeout_seconds is not None


def test_list_profiles_filters_by_name_and_pages(api):
    everything = api.list_profiles(limit=100)
    name = everything.items[0].name
    found = api.list_profiles(name=name.split()[0].lower(), limit=5)
    assert found.count >= 1 and all(name.split()[0].lower() in p.name.lower() for p in found)
    first = api.list_profiles(limit=5)
    assert first.next_offset == 5 and len(first.items) == 5


def test_profile_configuration_is_read_only_and_not_in_repr(api):
    profile = next(p for p in map(api.get_profile, range(1, 31)) if p.configuration)
    assert "configuration" not in repr(profile)
    with pytest.raises(TypeError):
        profile.configuration["anything"] = 1


# --- device operational records ------------------------------------------------


def test_update_device_operation_records_a_status_change(api):
    device_id = first_device(api).id
    record = api.update_device_operation(
        device_id,
        {
            "operational_status": "maintenance",
            "maintenance_notes": "fan replaced",
            "next_maintenance": datetime(2030, 4, 15, 9, tzinfo=UTC),
        },
    )
    assert isinstance(record, DeviceOperation) and record.id == device_id
    assert record.operational_status == "maintenance"
    assert record.next_maintenance == datetime(2030, 4, 15, 9, tzinfo=UTC)
    last = record.operational_history[-1]
    assert (last.from_status, last.to_status) == ("active", "maintenance")


def test_device_operation_transition_out_of_decommissioned_is_refused(api):
    device_id = first_device(api).id
    api.update_device_operation(device_id, {"operational_status": "decommissioned"})
    with pytest.raises(errors.ValidationFailed) as caught:
        api.update_device_operation(device_id, {"operational_status": "active"})
    assert "operational_status" in caught.value.field_errors


# --- headless operations -------------------------------------------------------


def test_headless_operation_is_created_then_found_by_its_transaction_id(api):
    device = first_device(api)
    when = datetime.now(UTC) + timedelta(days=1)
    created = api.create_headless_operation(
        device_serial=device.serial_number,
        operation_type="configuration_update",
        scheduled_time=when,
        parameters={"config_profile": "production_v2", "restart_required": True},
    )
    assert isinstance(created, HeadlessOperation) and created.id.startswith("txn_")
    assert created.parameters["restart_required"] is True

    found = api.get_headless_operation(created.id, update_status=True)
    assert (found.id, found.device_serial) == (created.id, device.serial_number)
    assert found.device_status is not None and found.device_status.online == device.is_up

    page = api.list_headless_operations(id=created.id)
    assert page.count == 1 and page.items[0].id == created.id


def test_unknown_transaction_id_is_not_found(api):
    with pytest.raises(errors.NotFound):
        api.get_headless_operation("txn_does_not_exist")


# --- errors --------------------------------------------------------------------


def test_bad_token_is_unauthorized_and_not_retried(make_client, sim_control):
    bad = "not-the-token-4711"
    client = make_client(bad, backoff=0.01)
    with pytest.raises(errors.Unauthorized) as caught:
        client.list_devices()
    assert str(caught.value).startswith(
        "The control API refused the token (401) for GET /inventory_device/"
    )
    assert bad not in str(caught.value)
    assert count(sim_control, "GET", "/inventory_device/") == 1


def test_device_of_another_organization_is_forbidden(api, tenant_api):
    outsider = next(
        d for d in api.list_devices(limit=100).items if d.organization_id not in TENANT_ORGS
    )
    with pytest.raises(errors.Forbidden) as caught:
        tenant_api.get_device(outsider.id)
    assert f"GET /inventory_device/{outsider.id}/" in str(caught.value)
    assert TENANT_TOKEN not in str(caught.value)


def test_missing_device_is_not_found(api):
    with pytest.raises(errors.NotFound) as caught:
        api.get_device(999_999)
    assert caught.value.status == 404
    assert "GET /inventory_device/999999/" in str(caught.value)


def test_invalid_device_gives_field_errors(api):
    with pytest.raises(errors.ValidationFailed) as caught:
        api.create_device({"description": "no name, no serial"})
    assert {"name", "serial_number", "type", "organization_id"} <= set(caught.value.field_errors)


def test_duplicate_serial_is_a_field_error_without_the_password(api, sim_control):
    api.create_device(new_device_fields(serial="NOC-TEST-DUP"))
    with pytest.raises(errors.ValidationFailed) as caught:
        api.create_device(new_device_fields(serial="NOC-TEST-DUP"))
    assert "serial_number" in caught.value.field_errors
    assert "s3cret-device-pass" not in str(caught.value)
    assert count(sim_control, "POST", "/inventory_device/") == 2


def test_deleting_a_device_with_pending_work_is_a_conflict(api):
    device_id = first_device(api).id
    api.reboot(device_id)
    with pytest.raises(errors.Conflict) as caught:
        api.delete_device(device_id)
    assert "DELETE /inventory_device/" in str(caught.value)
    assert api.get_device(device_id).id == device_id  # still there


def test_rate_limited_get_waits_as_asked_then_succeeds(api, sim_control):
    sim_control.set_faults(next_rate_limits=1, retry_after=1)
    started = time.monotonic()
    page = api.list_devices(limit=5)
    assert time.monotonic() - started >= 1.0  # Retry-After: 1 honoured, not the 10 ms backoff
    assert len(page.items) == 5
    assert count(sim_control, "GET", "/inventory_device/") == 2


def test_rate_limit_longer_than_the_retry_budget_is_raised_at_once(make_client, sim_control):
    sim_control.set_faults(next_rate_limits=1, retry_after=120)
    client = make_client(max_retry_time=5)
    with pytest.raises(errors.RateLimited) as caught:
        client.list_devices()
    assert caught.value.retry_after == 120
    assert "wait 120 s" in str(caught.value)
    assert count(sim_control, "GET", "/inventory_device/") == 1


def test_get_is_retried_after_upstream_errors(api, sim_control):
    sim_control.set_faults(next_errors=2, error_status=[502, 503])
    page = api.list_devices(limit=5)
    assert len(page.items) == 5
    assert count(sim_control, "GET", "/inventory_device/") == 3


def test_get_gives_up_after_max_retries_with_the_upstream_error(make_client, sim_control):
    sim_control.set_faults(next_errors=10, error_status=500)
    client = make_client(max_retries=2, backoff=0.01)
    with pytest.raises(errors.UpstreamError) as caught:
        client.list_devices()
    assert caught.value.status == 500
    assert count(sim_control, "GET", "/inventory_device/") == 3


def test_a_write_meeting_an_upstream_error_is_sent_exactly_once(api, sim_control):
    device_id = first_device(api).id
    sim_control.set_faults(next_errors=1, error_status=503, method="PATCH")
    with pytest.raises(errors.UpstreamError) as caught:
        api.reboot(device_id)
    assert caught.value.status == 503
    assert count(sim_control, "PATCH", f"/inventory_device/{device_id}/") == 1
    assert "reboot_scheduled" not in {s.name for s in api.get_device(device_id).pending_settings}


def test_create_meeting_a_rate_limit_is_not_retried(api, sim_control):
    sim_control.set_faults(next_rate_limits=1, retry_after=1, method="POST")
    with pytest.raises(errors.RateLimited):
        api.create_device(new_device_fields(serial="NOC-TEST-429"))
    assert count(sim_control, "POST", "/inventory_device/") == 1


def wait_for_logged(sim_control, method, path, expected, within=5.0):
    """A hung request is logged only when the simulator finally answers it; waiting for it
    keeps it out of the next test's request log."""
    deadline = time.monotonic() + within
    while count(sim_control, method, path) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return count(sim_control, method, path)


def test_read_timeout_on_a_write_means_the_outcome_is_unknown(make_client, sim_control):
    device_id = 1001
    sim_control.set_faults(next_hangs=1, hang_seconds=1, method="PATCH")
    client = make_client(timeout=(2, 0.3))
    with pytest.raises(errors.Unavailable) as caught:
        client.reboot(device_id)
    assert caught.value.maybe_sent is True
    assert "may or may not have been applied" in str(caught.value)
    assert wait_for_logged(sim_control, "PATCH", f"/inventory_device/{device_id}/", 1) == 1


def test_read_timeout_on_a_get_is_retried(make_client, sim_control):
    sim_control.set_faults(next_hangs=1, hang_seconds=1)
    page = make_client(timeout=(2, 0.3), backoff=0.01).list_devices(limit=5)
    assert len(page.items) == 5
    assert wait_for_logged(sim_control, "GET", "/inventory_device/", 2) == 2


def test_get_that_keeps_timing_out_is_unavailable(make_client, sim_control):
    sim_control.set_faults(next_hangs=1, hang_seconds=1)
    client = make_client(timeout=(2, 0.3), max_retries=0)
    with pytest.raises(errors.Unavailable) as caught:
        client.get_device(1001)
    assert caught.value.maybe_sent is True
    assert str(caught.value).startswith("The control API did not answer GET /inventory_device/")
    wait_for_logged(sim_control, "GET", "/inventory_device/1001/", 1)


@pytest.mark.parametrize("kind", ["non_json", "truncated"])
def test_malformed_body_on_a_get_is_retried(api, sim_control, kind):
    sim_control.set_faults(next_malformed=1, malformed=kind)
    assert len(api.list_devices(limit=5).items) == 5
    assert count(sim_control, "GET", "/inventory_device/") == 2


def test_malformed_body_that_persists_is_a_bad_response(make_client, sim_control):
    sim_control.set_faults(next_malformed=5, malformed="non_json")
    client = make_client(max_retries=1, backoff=0.01)
    with pytest.raises(errors.BadResponse) as caught:
        client.list_devices()
    assert "could not be read" in str(caught.value) and "<html" not in str(caught.value)
    assert count(sim_control, "GET", "/inventory_device/") == 2


def test_malformed_answer_to_a_write_says_the_change_was_probably_applied(api, sim_control):
    device_id = first_device(api).id
    sim_control.set_faults(next_malformed=1, malformed="truncated", method="PATCH")
    with pytest.raises(errors.UnreadableAnswer) as caught:
        api.reboot(device_id)
    assert "probably applied" in str(caught.value)
    assert count(sim_control, "PATCH", f"/inventory_device/{device_id}/") == 1
    assert "reboot_scheduled" in {s.name for s in api.get_device(device_id).pending_settings}


@pytest.mark.parametrize("kind", ["non_json", "truncated"])
def test_an_accepted_write_whose_answer_cannot_be_read_is_told_apart(api, sim_control, kind):
    device_id = first_device(api).id
    sim_control.set_faults(next_malformed=1, malformed=kind, method="PATCH")
    with pytest.raises(errors.UnreadableAnswer) as caught:
        api.update_device(device_id, {"description": "changed"})
    assert caught.value.status == 200
    assert api.get_device(device_id).description == "changed"


def test_an_unreadable_answer_to_a_get_is_not_an_accepted_write(make_client, sim_control):
    sim_control.set_faults(next_malformed=1, malformed="non_json")
    with pytest.raises(errors.BadResponse) as caught:
        make_client(max_retries=0).list_devices()
    assert not isinstance(caught.value, errors.UnreadableAnswer)


def test_no_error_message_contains_the_token(api, sim_control):
    sim_control.set_faults(next_errors=1, error_status=500, method="PATCH")
    messages = []
    for call in (
        lambda: api.get_device(999_999),
        lambda: api.create_device({}),
        lambda: api.reboot(1001),
        lambda: api.get_headless_operation("txn_nope"),
    ):
        with pytest.raises(errors.ControlAPIError) as caught:
            call()
        messages.append(str(caught.value))
    assert all(ALL_TOKEN not in message for message in messages)


def test_a_netrc_entry_for_the_upstream_host_does_not_replace_the_token(
    make_client, tmp_path, monkeypatch
):
    # requests reads ~/.netrc (or $NETRC) for any host without explicit auth; an entry
    # for the upstream's host would silently swap our bearer token for Basic auth.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-the-token\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))

    page = make_client().list_devices(limit=1)

    assert page.count > 0
