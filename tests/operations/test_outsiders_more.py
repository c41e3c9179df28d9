"""Outsiders (admin of organization 11 only) get 404 from every page of one device of
organization 5 not covered elsewhere, and from operations of organization 5; nothing is
sent upstream on their behalf."""

from datetime import UTC, datetime, timedelta

import pytest

from devices.models import ActionRecord
from operations.models import HeadlessRecord
from tests.fixtures.operations import writes

pytestmark = pytest.mark.django_db


def sent(sim, method, path):
    return sim.request_log(last=0)["counts"].get(f"{method} /api/v1/{path}", 0)


def test_the_freshness_panel_is_404(cached_fleet, device_of_org, outsider, client_of):
    device = device_of_org(5)
    response = client_of(outsider).get(
        f"/devices/{device.id}/freshness/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 404


def test_refresh_now_is_404_and_asks_no_status(cached_fleet, device_of_org, outsider, client_of):
    """Only the plain read an unknown id gets too (so that the two answer alike): the
    device's status is never asked for on an outsider's behalf."""
    device = device_of_org(5)
    cached_fleet.clear_log()
    response = client_of(outsider).post(f"/devices/{device.id}/refresh/")
    assert response.status_code == 404
    reads = [
        entry["query"]
        for entry in cached_fleet.request_log(last=100)["entries"]
        if entry["path"] == f"/api/v1/inventory_device/{device.id}/"
    ]
    assert len(reads) <= 1 and not any("update_status=true" in q for q in reads)


def unknown_action(device, user):
    return ActionRecord.objects.create(
        key="k" * 32, user=user, device_id=device.id, device_name=device.name,
        organization_id=device.organization_id, action="reboot",
        state=ActionRecord.State.UNKNOWN, pending_name="reboot_scheduled",
    )  # fmt: skip


def test_send_again_is_404_and_sends_nothing(
    cached_fleet, device_of_org, tenant_admin, outsider, client_of
):
    device = device_of_org(5)
    record = unknown_action(device, tenant_admin)
    cached_fleet.clear_log()
    response = client_of(outsider).post(
        f"/devices/{device.id}/actions/{record.pk}/resend/", {"key": "r" * 32}
    )
    assert response.status_code == 404
    assert writes(cached_fleet, device.id) == 0
    assert not ActionRecord.objects.filter(resend_of=record).exists()


def test_the_action_status_panel_is_404(
    cached_fleet, device_of_org, tenant_admin, outsider, client_of
):
    device = device_of_org(5)
    record = unknown_action(device, tenant_admin)
    response = client_of(outsider).get(f"/devices/{device.id}/actions/{record.pk}/status/")
    assert response.status_code == 404


def test_the_maintenance_page_is_404_and_puts_nothing(
    cached_fleet, device_of_org, outsider, client_of
):
    device = device_of_org(5)
    client = client_of(outsider)
    cached_fleet.clear_log()
    assert client.get(f"/devices/{device.id}/maintenance/").status_code == 404
    form = {"operational_status": "maintenance", "time_zone": "UTC"}
    assert client.post(f"/devices/{device.id}/maintenance/", form).status_code == 404
    assert sent(cached_fleet, "PUT", f"inventory_device_operation/{device.id}/") == 0


@pytest.mark.parametrize("action", ["reboot", "sync", "firmware", "factory-reset"])
def test_every_action_url_is_404(cached_fleet, device_of_org, outsider, client_of, action):
    device = device_of_org(5)
    cached_fleet.clear_log()
    response = client_of(outsider).post(
        f"/devices/{device.id}/actions/{action}/", {"key": "a" * 32}
    )
    assert response.status_code == 404
    assert writes(cached_fleet, device.id) == 0


def headless_of_org_5(device, user):
    return HeadlessRecord.objects.create(
        txn_id="txn_outsider_test", user=user, device_serial=device.serial_number,
        device_id=device.id, organization_id=5, operation_type="firmware_update",
        scheduled_time=datetime.now(UTC) + timedelta(hours=1),
    )  # fmt: skip


def test_another_organizations_operation_is_not_listed(
    cached_fleet, device_of_org, tenant_admin, outsider, client_of
):
    record = headless_of_org_5(device_of_org(5), tenant_admin)
    assert record.txn_id in client_of(tenant_admin).get("/operations/").content.decode()
    response = client_of(outsider).get("/operations/")
    assert response.status_code == 200
    assert record.txn_id not in response.content.decode()


def test_refreshing_another_organizations_operation_is_404(
    cached_fleet, device_of_org, tenant_admin, outsider, client_of
):
    record = headless_of_org_5(device_of_org(5), tenant_admin)
    cached_fleet.clear_log()
    response = client_of(outsider).post(f"/operations/{record.pk}/refresh/")
    assert response.status_code == 404
    assert cached_fleet.request_log(last=0)["total"] == 0
