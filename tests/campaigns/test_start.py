"""The page's Start answers at once, whatever the control API's speed: a worker chooses the
devices (campaigns.tasks.start_campaign) while the page says so; a start the worker cannot
make, or the task queue does not take, puts the draft back with the reason, audited."""

import time

import pytest

from accounts.models import AuditEntry
from campaigns import services
from campaigns.models import Campaign, CampaignDevice
from tests.campaigns.conftest import IMAGE, TYPE, all_up
from tests.fixtures.users import ORG_A

pytestmark = pytest.mark.django_db

STARTING = "Starting: choosing the devices…"


def _draft(user, serials=()):
    return services.create_campaign(
        user=user,
        new=services.NewCampaign(
            organization_id=ORG_A, type_id=TYPE, image_id=IMAGE, serials=tuple(serials)
        ),
    )


def test_start_answers_at_once_with_the_control_api_slow_and_a_worker_starts_it(
    fleet, target_devices, tenant_admin, client_of, start_worker
):
    """Before, Start read the target's devices from the control API while the browser
    waited: 69 s for a one-device campaign with every answer 4 s late."""
    device = target_devices(ORG_A)[0]
    all_up(fleet, [device])
    campaign = _draft(tenant_admin, [device.serial_number])
    client = client_of(tenant_admin)
    fleet.set_faults(latency_ms=3000)
    fleet.clear_log()

    began = time.monotonic()
    response = client.post(f"/campaigns/{campaign.pk}/start/", follow=True)
    took = time.monotonic() - began

    page = response.content.decode()
    assert response.status_code == 200 and took < 2, took
    assert fleet.request_log(last=0)["total"] == 0  # nothing asked of the control API
    assert f"Campaign {campaign.pk}: {STARTING}" in page
    assert 'id="starting">' + STARTING in page and 'data-state="draft">Starting</span>' in page
    assert ">Start</button>" not in page and 'hx-trigger="every 5s"' in page
    again = client.post(f"/campaigns/{campaign.pk}/start/", follow=True).content.decode()
    assert "It is starting already: a worker is choosing its devices." in again
    assert len(start_worker.asked) == 1

    start_worker()  # the worker waits on the slow control API, not the page

    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-state="running">Running</span>' in page and STARTING not in page
    assert "started by tenant-admin: 1 device in 1 wave (1)" in page
    assert list(CampaignDevice.objects.values_list("device_id", flat=True)) == [device.id]
    entries = AuditEntry.objects.filter(action="campaign_start")
    assert sorted((e.result, e.username, e.parameters.get("devices")) for e in entries) == [
        ("failed", "tenant-admin", None),  # the second press
        ("ok", "tenant-admin", 1),
    ]


def test_a_start_the_task_queue_does_not_take_is_said_and_audited(
    fleet, tenant_admin, client_of, broker_down
):
    campaign = _draft(tenant_admin)

    response = client_of(tenant_admin).post(f"/campaigns/{campaign.pk}/start/", follow=True)

    page = response.content.decode()
    assert response.status_code == 200
    assert "The start could not be handed to a worker" in page and ">Start</button>" in page
    assert STARTING not in page
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT and not campaign.starting
    entry = AuditEntry.objects.get(action="campaign_start")
    assert entry.result == "failed" and "could not be handed to a worker" in entry.error_message


def test_a_campaign_cancelled_while_starting_is_not_started_by_the_worker(
    fleet, target_devices, tenant_admin, client_of, start_worker
):
    all_up(fleet, target_devices(ORG_A))
    campaign = _draft(tenant_admin)
    client = client_of(tenant_admin)
    client.post(f"/campaigns/{campaign.pk}/start/")
    client.post(f"/campaigns/{campaign.pk}/cancel/")

    start_worker()

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.CANCELLED
    assert not CampaignDevice.objects.exists()
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-state="cancelled">Cancelled</span>' in page and 'id="starting"' not in page
