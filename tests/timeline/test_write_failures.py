"""A write the control API did not take reads in the device's timeline as what it was: a
refusal (a 4xx: the request itself was turned down) or a failure (a 5xx: the control API
failed on its side; no answer at all). Before, a 503 read "Refused by the control API"."""

import pytest

from accounts.models import AuditEntry
from devices import field_changes
from devices.change_models import ChangedRecord
from tests.timeline.conftest import entries, timeline_of

pytestmark = pytest.mark.django_db

FORM = {"operational_status": "maintenance", "assigned_user": "ana@example.com",
        "configuration": "", "time_zone": "UTC"}  # fmt: skip


def save_maintenance_answered(sim, client, device, status):
    """A maintenance-record save that the control API answers with `status`."""
    sim.set_faults(next_errors=1, error_status=status, method="PUT")
    client.post(f"/devices/{device.id}/maintenance/", FORM)
    sim.clear_faults()


@pytest.mark.parametrize("status", [500, 503])
def test_a_maintenance_save_the_control_api_failed_reads_failed_not_refused(
    cached_fleet, device_of_org, client_of, tenant_admin, status
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    save_maintenance_answered(cached_fleet, client, device, status)

    ((kind, words),) = entries(timeline_of(client, device.id, kind="maintenance"))

    assert kind == "maintenance"
    assert "— Failed: the control API failed on its side" in words
    assert "Refused" not in words
    assert f"({status})" in words  # the recorded error text, as it was


@pytest.mark.parametrize("status", [403, 409])
def test_a_maintenance_save_the_control_api_turned_down_reads_refused(
    cached_fleet, device_of_org, client_of, tenant_admin, status
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    save_maintenance_answered(cached_fleet, client, device, status)

    ((_, words),) = entries(timeline_of(client, device.id, kind="maintenance"))

    assert "— Refused by the control API" in words
    assert "Failed" not in words


def test_an_edit_that_never_reached_the_control_api_reads_failed(
    cached_fleet, device_of_org, client_of, tenant_admin
):
    """No answer at all (the connection refused), so no status kept: not a refusal either.
    The rows are those `device_writes.timed_write` keeps for it."""
    device = device_of_org(5)
    entry = AuditEntry.objects.create(
        username="tenant-admin", organization_id=5, device_id=device.id, action="device_edit",
        result=AuditEntry.Result.FAILED, upstream_status=None,
        error_message="The control API could not be reached for PATCH /inventory_device/1/",
    )  # fmt: skip
    renamed = [{"field": "name", "label": "Name", "before": "a", "after": "b"}]
    field_changes.keep(
        entry=entry, device_id=device.id, organization_id=5, record=ChangedRecord.DEVICE,
        changes=renamed,
    )  # fmt: skip

    ((_, words),) = entries(timeline_of(client_of(tenant_admin), device.id, kind="edits"))

    assert "— Failed: the control API could not be reached" in words
    assert "Refused" not in words


def test_an_action_the_control_api_failed_reads_failed_not_refused(
    cached_fleet, device_of_org, client_of, operator
):
    device = device_of_org(5)
    client = client_of(operator)
    cached_fleet.set_faults(next_errors=1, error_status=503, method="PATCH")
    client.post(f"/devices/{device.id}/actions/sync/", {"key": "k" * 32})
    cached_fleet.clear_faults()

    ((_, words),) = entries(timeline_of(client, device.id, kind="actions"))

    assert "Sync configuration by operator — Failed: the control API failed on its side" in words
