"""A device moved upstream to another organization, before the next poll sees the move:
actions are checked against the control API's record, not the fleet cache's."""

import pytest

from accounts.models import AuditEntry, Role
from controlapi import ControlAPI
from devices.models import ActionRecord
from tests.fixtures.operations import writes
from tests.fixtures.simulator import ALL_TOKEN
from tests.fixtures.users import ORG_A, ORG_OTHER, make_user

pytestmark = pytest.mark.django_db
KEY = "m" * 32


@pytest.fixture
def moved(cached_fleet, simulator, device_of_org):
    """A device of organization 5, polled, then moved to 11 upstream (not polled again),
    with the simulator's request log cleared after the move."""
    device = device_of_org(ORG_A)
    with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
        api.update_device(device.id, {"organization_id": ORG_OTHER})
    cached_fleet.clear_log()
    return device


def _sent(sim_control, device_id) -> int:
    return writes(sim_control, device_id, "PATCH") + writes(sim_control, device_id, "POST")


@pytest.mark.parametrize("via", ["device", "triage"])
def test_the_old_organizations_admin_gets_404_and_nothing_is_sent(
    via, moved, cached_fleet, tenant_admin, client_of
):
    url = (
        f"/devices/{moved.id}/actions/reboot/" if via == "device" else f"/triage/{moved.id}/reboot/"
    )
    response = client_of(tenant_admin).post(url, {"key": KEY})
    assert response.status_code == 404
    assert _sent(cached_fleet, moved.id) == 0
    assert not ActionRecord.objects.exists()
    assert not AuditEntry.objects.filter(device_id=moved.id).exists()


def test_a_factory_reset_of_a_moved_device_is_404_too(moved, cached_fleet, tenant_admin, client_of):
    response = client_of(tenant_admin).post(
        f"/devices/{moved.id}/actions/factory-reset/", {"key": KEY, "confirm_name": moved.name}
    )
    assert response.status_code == 404
    assert _sent(cached_fleet, moved.id) == 0
    assert not AuditEntry.objects.filter(device_id=moved.id).exists()


def test_an_admin_of_both_organizations_reboots_it_under_the_new_one(
    moved, cached_fleet, organizations, client_of
):
    both = make_user("both-admin", memberships=[(ORG_A, Role.ADMIN), (ORG_OTHER, Role.ADMIN)])
    response = client_of(both).post(f"/devices/{moved.id}/actions/reboot/", {"key": KEY})
    assert response.status_code == 302
    assert writes(cached_fleet, moved.id) == 1
    record = ActionRecord.objects.get(key=KEY)
    assert (record.state, record.organization_id) == (ActionRecord.State.SENT, ORG_OTHER)
    assert AuditEntry.objects.get(request_id=KEY).organization_id == ORG_OTHER


def test_an_unreadable_upstream_fails_the_action_in_words(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(ORG_A)
    cached_fleet.set_faults(error_rate=1.0)
    client = client_of(tenant_admin)
    response = client.post(f"/devices/{device.id}/actions/reboot/", {"key": KEY})
    cached_fleet.clear_faults()
    assert response.status_code == 302
    assert _sent(cached_fleet, device.id) == 0
    record = ActionRecord.objects.get(key=KEY)
    assert record.state == ActionRecord.State.FAILED
    assert "nothing was sent" in record.message
    assert AuditEntry.objects.get(request_id=KEY).result == "failed"


def test_a_triage_refresh_of_a_moved_device_is_404_and_not_audited(
    moved, cached_fleet, tenant_admin, client_of
):
    response = client_of(tenant_admin).post(f"/triage/{moved.id}/refresh/")
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(device_id=moved.id).exists()
