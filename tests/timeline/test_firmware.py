"""A firmware campaign shows in the timeline of each device it reached: when the update was
sent, the image, the campaign (linked for those who may open it) and the outcome as it was
followed; once, never also as an action; never to another organization; and not at all
on a device the campaign stopped before reaching."""

import pytest
from django.utils import timezone

from accounts.models import AuditEntry, Role
from campaigns import services
from campaigns.models import Campaign, CampaignDevice, Outcome
from controlapi import ControlAPI
from devices import selectors
from tests.campaigns.conftest import IMAGE, TYPE, VERSION, all_up, needing, step_until_ended
from tests.fixtures.simulator import ALL_TOKEN
from tests.fixtures.users import ORG_A, ORG_B, make_user
from tests.timeline.conftest import entries, timeline_of

pytestmark = pytest.mark.django_db


def _run(user, *, canary=2):
    new = services.NewCampaign(
        organization_id=ORG_A, type_id=TYPE, image_id=IMAGE, canary=canary, waves="50%,100%",
        soak_minutes=2, confirm_timeout_minutes=3, max_failed_percent=20, max_down_percent=20,
        down_retries=1, retry_minutes=1,
    )  # fmt: skip
    new.name = "Spring gateways"
    campaign = services.create_campaign(user=user, new=new)
    services.start_campaign(campaign=campaign, user=user)
    return step_until_ended(campaign)


def _firmware(html):
    return [words for kind, words in entries(html) if kind == "firmware"]


def test_a_device_a_campaign_updated_shows_the_update_its_outcome_and_a_link(
    cached_fleet, fleet, target_devices, tenant_admin, client_of
):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    campaign = _run(tenant_admin)
    assert campaign.state == Campaign.State.FINISHED
    device = needing(devices)[0]
    row = CampaignDevice.objects.get(campaign=campaign, device_id=device.id)
    assert row.outcome == Outcome.CONFIRMED
    # The campaign audited its PATCH: that entry must not show again as an action.
    assert AuditEntry.objects.filter(action="firmware", device_id=device.id).count() == 1

    html = timeline_of(client_of(tenant_admin), device.id)

    (words,) = _firmware(html)
    assert f"Firmware update to image {IMAGE}" in words
    assert f"Campaign {campaign.pk}: Spring gateways" in words
    assert f"Updated: reports {VERSION}" in words and "by tenant-admin" in words
    assert f'href="/campaigns/{campaign.pk}/"' in html
    assert f'id="firmware-{row.pk}" data-kind="firmware"' in html
    assert "tone-ok" in html.split(f'id="firmware-{row.pk}"')[0].rsplit("<li", 1)[1]
    assert [kind for kind, _ in entries(html)].count("firmware") == 1
    assert not [w for kind, w in entries(html) if kind == "actions"]
    assert f'datetime="{timezone.localtime(row.sent_at).isoformat()}"' in html


def test_the_firmware_kind_keeps_only_campaign_updates(
    cached_fleet, fleet, target_devices, tenant_admin, client_of, noc
):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    campaign = _run(tenant_admin)
    device = needing(devices)[0]
    client = client_of(noc)
    client.post(f"/devices/{device.id}/notes/", {"text": "after the update"})

    everything = entries(timeline_of(client, device.id))
    firmware = entries(timeline_of(client, device.id, kind="firmware"))
    notes = entries(timeline_of(client, device.id, kind="notes"))
    chips = timeline_of(client, device.id, kind="firmware")

    assert {kind for kind, _ in everything} >= {"firmware", "notes"}
    assert [kind for kind, _ in firmware] == ["firmware"]
    assert f"Campaign {campaign.pk}" in firmware[0][1]
    assert [kind for kind, _ in notes] == ["notes"]
    chip = 'data-kind="firmware" aria-current="true" class="chip chip-current">Firmware</a>'
    assert chip in chips


@pytest.mark.parametrize("failure", ["unconfirmed", "down"])
def test_a_campaign_stopped_after_the_canary_shows_its_failure_and_nothing_further(
    cached_fleet, fleet, target_devices, tenant_admin, client_of, failure
):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    fleet.mark_image_bad(IMAGE, failure=failure, down_after_seconds=0)
    campaign = _run(tenant_admin, canary=3)
    assert campaign.state == Campaign.State.STOPPED
    canary = needing(devices[:3])[0]
    later = needing(devices[3:])[0]
    assert CampaignDevice.objects.get(campaign=campaign, device_id=later.id).outcome == (
        Outcome.WAITING
    )
    client = client_of(tenant_admin)

    html = timeline_of(client, canary.id, kind="firmware")
    untouched = timeline_of(client, later.id, kind="firmware")

    (words,) = _firmware(html)
    expected = "Not confirmed in time" if failure == "unconfirmed" else "Down after the update"
    assert expected in words and "Canary of the campaign" in words
    assert "tone-failed" in html
    assert _firmware(untouched) == []
    assert "Nothing of this kind in this device's timeline." in untouched


def test_another_tenant_never_sees_it_and_those_without_firmware_rights_get_no_link(
    cached_fleet,
    fleet,
    target_devices,
    simulator,
    tenant_admin,
    viewer,
    outsider,
    noc,
    client_of,
):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    campaign = _run(tenant_admin)
    device, moved = needing(devices)[:2]

    # A viewer of the organization sees the update, named but not linked (the campaign's
    # page is for those who may run firmware updates).
    html = timeline_of(client_of(viewer), device.id, kind="firmware")
    (words,) = _firmware(html)
    assert f"Campaign {campaign.pk}: Spring gateways" in words
    assert f"/campaigns/{campaign.pk}/" not in html
    # The outsider cannot open the device at all.
    answer = client_of(outsider).get(f"/devices/{device.id}/timeline/", HTTP_HX_REQUEST="true")
    assert answer.status_code == 404 and b"Spring gateways" not in answer.content
    # A device moved to another organization: its new organization's people see none of
    # what the campaign did while it was in the first.
    with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
        api.update_device(moved.id, {"organization_id": ORG_B})
        assert api.get_device(moved.id).organization_id == ORG_B
    selectors.fetch_device(moved.id)  # the cache learns the move, as a refresh does
    other = make_user("second-org", memberships=[(ORG_B, Role.ADMIN)])

    theirs = timeline_of(client_of(other), moved.id, kind="firmware")

    assert _firmware(theirs) == [] and "Spring gateways" not in theirs
    (seen,) = _firmware(timeline_of(client_of(noc), moved.id, kind="firmware"))
    assert f"Campaign {campaign.pk}" in seen


def test_a_device_down_at_each_turn_shows_it_was_skipped(
    cached_fleet, fleet, target_devices, tenant_admin, client_of
):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    down = needing(devices)[0]
    fleet.set_status(down.id, False)
    campaign = _run(tenant_admin)
    assert campaign.state == Campaign.State.FINISHED

    html = timeline_of(client_of(tenant_admin), down.id, kind="firmware")

    (words,) = _firmware(html)
    assert "Skipped (Down)" in words and "Down at each of its 2 turns: skipped." in words
    assert "tone-unknown" in html and "tone-ok" not in html
