"""Device actions through the Django client: one request per form, tenancy, audit, outcomes."""

import re
import time

import pytest
from django.conf import settings

from accounts.models import AuditEntry
from controlapi import ControlAPI
from devices import configured
from devices.models import ActionRecord
from fleet.polling import PollConfig, poll_fleet
from tests.fixtures.operations import writes

pytestmark = pytest.mark.django_db
KEY = "k" * 32


def post_action(client, device_id, action, key=KEY, **fields):
    return client.post(f"/devices/{device_id}/actions/{action}/", {"key": key, **fields})


def test_reboot_sends_one_patch_and_is_audited(cached_fleet, device_of_org, operator, client_of):
    device = device_of_org(5)
    response = post_action(client_of(operator), device.id, "reboot")
    assert response.status_code == 302
    assert writes(cached_fleet, device.id) == 1
    record = ActionRecord.objects.get(key=KEY)
    assert record.state == ActionRecord.State.SENT
    entry = AuditEntry.objects.get(request_id=KEY)
    assert (entry.action, entry.result, entry.device_id, entry.upstream_status) == (
        "reboot",
        "ok",
        device.id,
        200,
    )


def test_the_same_form_posted_twice_sends_once(cached_fleet, device_of_org, operator, client_of):
    device = device_of_org(5)
    client = client_of(operator)
    first = post_action(client, device.id, "sync")
    second = post_action(client, device.id, "sync")
    assert writes(cached_fleet, device.id) == 1
    assert first["Location"] == second["Location"]
    assert ActionRecord.objects.count() == 1
    assert AuditEntry.objects.count() == 1


def test_a_viewers_forged_post_is_refused_and_sends_nothing(
    cached_fleet, device_of_org, viewer, client_of
):
    device = device_of_org(5)
    client = client_of(viewer)
    response = post_action(client, device.id, "reboot")
    assert response.status_code == 302  # back to the page, which says why; never a 403
    assert writes(cached_fleet, device.id) == 0
    record = ActionRecord.objects.get(key=KEY)
    assert record.state == ActionRecord.State.REFUSED
    page = client.get(response["Location"]).content.decode()
    assert "does not allow this action" in page
    assert AuditEntry.objects.get(request_id=KEY).result == "failed"


def test_an_operator_may_not_factory_reset(cached_fleet, device_of_org, operator, client_of):
    device = device_of_org(5)
    post_action(client_of(operator), device.id, "factory-reset", confirm_name=device.name)
    assert writes(cached_fleet, device.id) == 0
    assert ActionRecord.objects.get(key=KEY).state == ActionRecord.State.REFUSED


@pytest.mark.parametrize("action", ["reboot", "factory-reset", "firmware"])
def test_an_outsider_gets_404_and_nothing_is_sent(
    action, cached_fleet, device_of_org, outsider, client_of
):
    device = device_of_org(5)
    response = post_action(
        client_of(outsider), device.id, action, confirm_name=device.name, firmware_image="45"
    )
    assert response.status_code == 404
    assert writes(cached_fleet, device.id) == 0
    assert not ActionRecord.objects.exists()


def test_an_unknown_action_is_404(cached_fleet, device_of_org, noc, client_of):
    assert post_action(client_of(noc), device_of_org(5).id, "explode").status_code == 404


def test_get_on_an_action_is_refused(cached_fleet, device_of_org, noc, client_of):
    response = client_of(noc).get(f"/devices/{device_of_org(5).id}/actions/reboot/")
    assert response.status_code == 405


def test_a_factory_reset_needs_the_devices_name_typed(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    response = post_action(client, device.id, "factory-reset", confirm_name="wrong")
    assert response.status_code == 400
    assert "exactly to confirm" in response.content.decode()
    assert writes(cached_fleet, device.id) == 0
    # The key was not spent: the corrected form goes through.
    post_action(client, device.id, "factory-reset", confirm_name=device.name)
    assert writes(cached_fleet, device.id) == 1
    assert ActionRecord.objects.get(key=KEY).state == ActionRecord.State.SENT


def test_firmware_needs_an_image_id_and_keeps_what_was_typed(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    response = post_action(client_of(tenant_admin), device.id, "firmware", firmware_image="abc")
    assert response.status_code == 400
    assert "firmware image id" in response.content.decode()
    assert writes(cached_fleet, device.id) == 0


def test_firmware_refused_upstream_is_shown_in_words(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    response = post_action(client, device.id, "firmware", firmware_image="99999")
    record = ActionRecord.objects.get(key=KEY)
    assert record.state == ActionRecord.State.FAILED
    assert record.upstream_status == 400
    assert "object does not exist" in client.get(response["Location"]).content.decode()
    assert AuditEntry.objects.get(request_id=KEY).result == "failed"


def test_a_device_that_confirms_is_shown_confirmed(
    cached_fleet, device_of_org, operator, client_of
):
    device = device_of_org(5)
    client = client_of(operator)
    post_action(client, device.id, "reconf")
    record = ActionRecord.objects.get(key=KEY)
    status_url = f"/devices/{device.id}/actions/{record.pk}/status/"
    waiting = client.get(status_url)
    assert waiting.status_code == 200
    assert "Waiting for the device" in waiting.content.decode()
    cached_fleet.advance(5)  # the device confirms after the op delay
    done = client.get(status_url)
    assert done.status_code == 286  # htmx stops polling
    assert "Confirmed by the device" in done.content.decode()


def test_a_device_that_does_not_confirm_in_time_is_said_so(
    cached_fleet, device_of_org, operator, client_of, settings
):
    device = device_of_org(5)
    client = client_of(operator)
    post_action(client, device.id, "sync")
    settings.ACTION_FOLLOW_SECONDS = 0
    record = ActionRecord.objects.get(key=KEY)
    response = client.get(f"/devices/{device.id}/actions/{record.pk}/status/")
    assert response.status_code == 286
    assert "Not confirmed by the device in time" in response.content.decode()


def test_the_follow_panel_is_404_for_an_outsider(
    cached_fleet, device_of_org, operator, outsider, client
):
    device = device_of_org(5)
    client.force_login(operator)
    post_action(client, device.id, "sync")
    record = ActionRecord.objects.get(key=KEY)
    client.force_login(outsider)
    assert client.get(f"/devices/{device.id}/actions/{record.pk}/status/").status_code == 404


def test_a_timeout_after_sending_is_outcome_unknown(
    cached_fleet, device_of_org, operator, client_of, settings
):
    device = device_of_org(5)
    settings.ACTION_READ_TIMEOUT = 1
    cached_fleet.set_faults(next_hangs=1, hang_seconds=1.5, method="PATCH")
    response = post_action(client_of(operator), device.id, "reboot")
    assert response.status_code == 302
    record = ActionRecord.objects.get(key=KEY)
    assert record.state == ActionRecord.State.UNKNOWN
    entry = AuditEntry.objects.get(request_id=KEY)
    assert entry.result == "unknown"
    time.sleep(0.6)  # the simulator logs a hung request when it finally answers
    assert cached_fleet.request_count("PATCH", f"/api/v1/inventory_device/{device.id}/") == 1


def test_send_again_after_unknown_says_already_pending(
    cached_fleet, device_of_org, operator, client_of, settings
):
    """The request arrived (late): the re-read finds it pending and sends nothing."""
    device = device_of_org(5)
    client = client_of(operator)
    settings.ACTION_READ_TIMEOUT = 1
    cached_fleet.set_faults(latency_ms=1500, method="PATCH")
    post_action(client, device.id, "reboot")
    original = ActionRecord.objects.get(key=KEY)
    assert original.state == ActionRecord.State.UNKNOWN
    cached_fleet.clear_faults()
    time.sleep(1.0)  # the late PATCH lands upstream
    assert writes(cached_fleet, device.id) == 1
    response = client.post(f"/devices/{device.id}/actions/{original.pk}/resend/", {"key": "r" * 32})
    assert response.status_code == 302
    again = ActionRecord.objects.get(key="r" * 32)
    assert again.state == ActionRecord.State.ALREADY_PENDING
    assert writes(cached_fleet, device.id) == 1
    assert "Already pending" in client.get(response["Location"]).content.decode()


def test_send_again_sends_when_nothing_is_pending(
    cached_fleet, device_of_org, operator, client_of, settings
):
    device = device_of_org(5)
    client = client_of(operator)
    settings.ACTION_READ_TIMEOUT = 1
    cached_fleet.set_faults(next_hangs=1, hang_seconds=1.5, method="PATCH")
    post_action(client, device.id, "sync")
    original = ActionRecord.objects.get(key=KEY)
    cached_fleet.clear_faults()
    client.post(f"/devices/{device.id}/actions/{original.pk}/resend/", {"key": "r" * 32})
    again = ActionRecord.objects.get(key="r" * 32)
    assert again.state == ActionRecord.State.SENT
    assert again.resend_of == original
    patches = [
        e
        for e in cached_fleet.request_log()["entries"]
        if e["method"] == "PATCH" and e["status"] == 200
    ]
    assert len(patches) == 1


def test_the_page_renders_a_fresh_key_for_every_form(
    cached_fleet, device_of_org, operator, client_of
):
    html = client_of(operator).get(f"/devices/{device_of_org(5).id}/").content.decode()
    keys = re.findall(r'name="key" value="([^"]+)"', html)
    assert len(keys) == len(set(keys)) >= 4


def test_a_viewers_send_again_is_refused_even_when_the_action_is_pending(
    cached_fleet, device_of_org, operator, viewer, client_of, settings
):
    """Sending again checks the role first: a viewer's forged POST records no action of
    theirs as done, whatever the device has pending."""
    device = device_of_org(5)
    settings.ACTION_READ_TIMEOUT = 1
    cached_fleet.set_faults(latency_ms=1500, method="PATCH")
    post_action(client_of(operator), device.id, "reboot")
    original = ActionRecord.objects.get(key=KEY)
    cached_fleet.clear_faults()
    time.sleep(1.0)  # the late PATCH lands upstream: the reboot is pending

    client_of(viewer).post(f"/devices/{device.id}/actions/{original.pk}/resend/", {"key": "v" * 32})

    again = ActionRecord.objects.get(key="v" * 32)
    assert again.state == ActionRecord.State.REFUSED
    assert AuditEntry.objects.get(request_id="v" * 32).result == "failed"
    assert writes(cached_fleet, device.id) == 1


def polled_again(sim_control):
    """A full poll of the fleet, and the simulator's request log cleared after it."""
    poll_fleet(
        model=configured.read_model(for_pages=False),
        api_factory=configured.upstream(),
        config=PollConfig(page_size=100, parallel=2, lock_ttl=5.0),
        mode="full",
    )
    sim_control.clear_log()


def renamed_in_the_cache(sim_control, device_id, name):
    """The device renamed upstream (by another tool) and the fleet polled again."""
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        api.update_device(device_id, {"name": name})
    polled_again(sim_control)


def test_a_name_ending_in_a_space_can_be_typed_to_confirm(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    """A stored name with a space at its end: typing it as shown confirms (a form drops the
    space), rather than refusing every factory reset or delete of that device."""
    device = device_of_org(5)
    renamed_in_the_cache(cached_fleet, device.id, "edge-router ")
    client = client_of(tenant_admin)

    post_action(client, device.id, "factory-reset", confirm_name="edge-router ")
    deleted = client.post(f"/devices/{device.id}/delete/", {"confirm_name": "edge-router "})

    assert ActionRecord.objects.get(key=KEY).state == ActionRecord.State.SENT
    assert deleted.status_code in (302, 409)  # sent: pending work may still hold it
    assert writes(cached_fleet, device.id, method="DELETE") == 1


def nameless_in_the_cache(sim_control, device_id, name):
    """The upstream answers the device with this name, as one stored unchecked would (a
    device that registered itself), and the fleet is polled again."""
    sim_control.answer_fields(device_id, name=name)
    polled_again(sim_control)


@pytest.mark.parametrize("name", ["", "   ", None])
def test_a_device_without_a_name_is_confirmed_by_its_id(
    cached_fleet, device_of_org, tenant_admin, client_of, name
):
    """A device with no name asks for its id instead: before, nothing typed could match
    the empty name, so it could never be factory reset or deleted from the dashboard."""
    device = device_of_org(5)
    nameless_in_the_cache(cached_fleet, device.id, name)
    client = client_of(tenant_admin)

    page = client.get(f"/devices/{device.id}/").content.decode()
    assert f"Type the device's id, <strong>{device.id}</strong>, to confirm" in page
    assert "Device id, to confirm factory reset" in page
    refused = post_action(client, device.id, "factory-reset", key="r" * 32, confirm_name="")
    assert refused.status_code == 400
    assert f"Type the device&#x27;s id ({device.id}) exactly" in refused.content.decode()
    assert writes(cached_fleet, device.id) == 0

    delete_page = client.get(f"/devices/{device.id}/delete/").content.decode()
    assert f"Type the device's id, <strong>{device.id}</strong>, to confirm" in delete_page
    assert "<h1>Delete (no name)</h1>" in delete_page
    maintenance_page = client.get(f"/devices/{device.id}/maintenance/").content.decode()
    assert "<h1>Maintenance record of (no name)</h1>" in maintenance_page
    post_action(client, device.id, "factory-reset", confirm_name=f" {device.id} ")
    assert ActionRecord.objects.get(key=KEY).state == ActionRecord.State.SENT


def test_a_device_without_a_name_is_deleted_by_typing_its_id(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    nameless_in_the_cache(cached_fleet, device.id, None)
    client = client_of(tenant_admin)

    refused = client.post(f"/devices/{device.id}/delete/", {"confirm_name": " "})
    deleted = client.post(f"/devices/{device.id}/delete/", {"confirm_name": str(device.id)})

    assert refused.status_code == 400
    assert deleted.status_code == 302
    assert writes(cached_fleet, device.id, method="DELETE") == 1


@pytest.mark.parametrize("name", ["", "   "])
def test_a_device_without_a_name_is_called_no_name_on_every_page(
    cached_fleet, device_of_org, noc, client_of, name
):
    """A heading, a crumb or a link never shows a blank name: before, a name of spaces was
    shown as it is (blank) on the device page, its timeline, the list and triage."""
    device = device_of_org(5)
    cached_fleet.set_status(device.id, up=False)
    nameless_in_the_cache(cached_fleet, device.id, name)
    client = client_of(noc)

    detail = client.get(f"/devices/{device.id}/").content.decode()
    assert "<h1>(no name) <span" in detail
    assert "Devices</a> › (no name)</nav>" in detail
    timeline = client.get(f"/devices/{device.id}/timeline/").content.decode()
    assert "<h1>Timeline of (no name)</h1>" in timeline
    listed = client.get(f"/devices/?q={device.serial_number}").content.decode()
    assert 'aria-label="Select (no name)"' in listed
    assert re.search(rf'href="/devices/{device.id}/">\(no name\)</a>', listed)
    triage = client.get(f"/triage/?view=list&devices={device.id}").content.decode()
    assert re.search(rf'href="/devices/{device.id}/">\(no name\)</a>', triage)
    wall = client.get("/wall/panels/triage/").content.decode()
    assert f'<tr data-device="{device.id}"><td>{device.id}</td>' in wall
