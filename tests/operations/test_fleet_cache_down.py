"""With the fleet cache (Redis) unreachable, every decision on who owns a device still holds:
a tenant reaching for another organization's device gets the same answer as for an unknown
one, and nothing is sent upstream. (The device's organization is then read from the control
API itself; a serial, which it cannot look up, is refused: see the scheduled operations.)"""

import pytest

from devices.models import ActionRecord, BulkJob, Claim
from operations.models import MaintenanceSnapshot

pytestmark = pytest.mark.django_db

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def redis_down(cached_fleet, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there: a real failure
    return cached_fleet


def sent(sim_control):
    return [e for e in sim_control.request_log(last=1000)["entries"] if e["method"] in WRITES]


def test_device_writes_on_another_organizations_device_are_404_and_not_sent(
    redis_down, device_of_org, tenant_admin, client_of
):
    device = device_of_org(11)
    client = client_of(tenant_admin)
    posts = {
        f"/devices/{device.id}/actions/reboot/": {"key": "k" * 32},
        f"/devices/{device.id}/edit/": {"name": "taken over"},
        f"/devices/{device.id}/delete/": {"confirm_name": device.name},
        f"/devices/{device.id}/maintenance/": {"operational_status": "maintenance"},
        f"/triage/{device.id}/claim/": {"note": "mine"},
        f"/triage/{device.id}/reboot/": {},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 404, url
    assert sent(redis_down) == []
    assert not ActionRecord.objects.exists()
    assert not MaintenanceSnapshot.objects.exists()
    assert not Claim.objects.exists()


def test_a_bulk_action_says_it_needs_the_cache_and_sends_nothing(
    redis_down, device_of_org, tenant_admin, client_of
):
    ids = f"{device_of_org(11).id},{device_of_org(5).id}"
    response = client_of(tenant_admin).post(
        "/devices/bulk/start/", {"action": "reboot", "devices": ids}
    )
    assert response.status_code == 400
    assert "Bulk actions need the fleet cache (Redis), which is unreachable." in (
        response.content.decode()
    )
    assert not BulkJob.objects.exists()
    assert sent(redis_down) == []


def test_before_the_first_poll_a_bulk_action_says_the_cache_is_filling_and_sends_nothing(
    upstream, device_of_org, tenant_admin, client_of
):
    # Redis answers but holds no fleet yet: no device's organization is known.
    response = client_of(tenant_admin).post(
        "/devices/bulk/start/", {"action": "reboot", "devices": str(device_of_org(5).id)}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Bulk actions need the fleet cache, which is still being filled" in html
    assert "with your role" not in html
    assert not BulkJob.objects.exists()
    assert sent(upstream) == []
