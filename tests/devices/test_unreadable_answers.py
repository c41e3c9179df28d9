"""A write the control API accepted (2xx) but whose answer could not be read: the change was
probably applied, so it is "outcome unknown" (checked before any send-again), never "failed"."""

import pytest

from accounts.models import AuditEntry
from devices.models import ActionRecord
from operations.models import HeadlessRecord
from tests.devices.forms import NEW, edit_form
from tests.fixtures.operations import schedule, writes

pytestmark = pytest.mark.django_db
KEY = "k" * 32


@pytest.mark.parametrize("kind", ["non_json", "truncated"])
def test_an_action_whose_answer_cannot_be_read_is_outcome_unknown(
    cached_fleet, device_of_org, operator, client_of, kind
):
    device = device_of_org(5)
    client = client_of(operator)
    cached_fleet.set_faults(next_malformed=1, malformed=kind, method="PATCH")
    response = client.post(f"/devices/{device.id}/actions/reboot/", {"key": KEY})
    assert response.status_code == 302
    assert writes(cached_fleet, device.id) == 1
    record = ActionRecord.objects.get(key=KEY)
    assert record.state == ActionRecord.State.UNKNOWN
    assert record.message == (
        "The control API accepted the request but its answer could not be read: it was "
        "probably applied. Check the device before sending it again."
    )
    entry = AuditEntry.objects.get(request_id=KEY)
    assert (entry.result, entry.upstream_status) == ("unknown", 200)
    page = client.get(response["Location"]).content.decode()
    assert "Outcome unknown" in page
    assert "Refused or failed" not in page


def test_an_edit_whose_answer_cannot_be_read_says_it_was_probably_saved(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    data = edit_form(client, device.id)
    data["name"] = "renamed-unreadable"
    cached_fleet.set_faults(next_malformed=1, malformed="non_json", method="PATCH")
    response = client.post(f"/devices/{device.id}/edit/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "its answer could not be read; the change was probably applied" in html
    assert "Reload the device to see whether it changed." in html
    assert AuditEntry.objects.get(action="device_edit").result == "unknown"


def test_a_scheduled_operation_whose_answer_cannot_be_read_is_outcome_unknown(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    cached_fleet.set_faults(next_malformed=1, malformed="truncated", method="POST")
    response = schedule(client_of(tenant_admin), device_of_org(5).serial_number)
    assert response.status_code == 400
    assert "the change was probably applied" in response.content.decode()
    assert AuditEntry.objects.get(action="headless_create").result == "unknown"
    assert not HeadlessRecord.objects.exists()


def test_a_created_device_whose_answer_cannot_be_read_may_have_been_created(
    upstream, tenant_admin, client_of
):
    upstream.set_faults(next_malformed=1, malformed="non_json", method="POST")
    response = client_of(tenant_admin).post("/devices/new/", NEW)
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        "The control API sent no answer that could be read after the device was sent: it may "
        "have been created. Search for its serial number before trying again."
    ) in html
    assert 'value="new-router-1"' in html  # the form is kept
    assert AuditEntry.objects.get(action="device_create").result == "unknown"
