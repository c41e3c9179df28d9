"""Campaigns stepped through their waves against the simulator: a good image to 100 %, a
bad one stopped after the canary with nothing sent further, Down devices retried then
skipped, pause and resume."""

from datetime import timedelta

import pytest

from campaigns import engine, selectors, services
from campaigns.models import Campaign, CampaignDevice, Outcome
from controlapi import ControlAPI
from tests.campaigns.conftest import (
    IMAGE,
    TYPE,
    VERSION,
    all_up,
    needing,
    patched,
    patches,
    step_until_ended,
)
from tests.fixtures.simulator import ALL_TOKEN
from tests.fixtures.users import ORG_A

pytestmark = pytest.mark.django_db


def _campaign(user, **changes):
    new = services.NewCampaign(
        organization_id=ORG_A, type_id=TYPE, image_id=IMAGE, canary=2, waves="10%,50%,100%",
        soak_minutes=2, confirm_timeout_minutes=3, max_failed_percent=20, max_down_percent=20,
        down_retries=1, retry_minutes=1,
    )  # fmt: skip
    for name, value in changes.items():
        setattr(new, name, value)
    return services.create_campaign(user=user, new=new)


def _texts(campaign):
    return [d.text for d in campaign.decisions.all()]


def test_a_good_image_rolls_through_every_wave_to_every_device(
    fleet, target_devices, tenant_admin, simulator
):
    devices = target_devices(ORG_A)
    assert 0 < len(devices) - len(needing(devices)) < len(devices) // 2
    all_up(fleet, devices)
    campaign = _campaign(tenant_admin)
    services.start_campaign(campaign=campaign, user=tenant_admin)
    fleet.clear_log()

    campaign = step_until_ended(campaign)

    assert campaign.state == Campaign.State.FINISHED
    assert campaign.wave_sizes[0] == 2 and sum(campaign.wave_sizes) == len(devices)
    assert campaign.wave == len(campaign.wave_sizes) == 4
    rows = CampaignDevice.objects.filter(campaign=campaign)
    on_it = {d.id for d in devices if d.firmware_image == IMAGE}  # the seed fleet's
    assert {r.device_id: r.outcome for r in rows} == {
        d.id: Outcome.ALREADY if d.id in on_it else Outcome.CONFIRMED for d in devices
    }
    assert {r.version_after for r in rows} == {VERSION}
    assert patches(fleet) == patched(needing(devices))
    with ControlAPI(simulator.api_url, ALL_TOKEN) as api:
        assert {api.get_device(d.id).software_version for d in devices} == {VERSION}
    texts = _texts(campaign)
    for started in ("canary started: 2 devices", "wave 2 started", "wave 4 started"):
        assert any(t.startswith(started) for t in texts), texts
    assert texts[-1] == (
        f"finished: {len(needing(devices))} updated, {len(on_it)} already on the image, 0 failed, "
        "0 Down after their update, 0 skipped"
    )
    assert campaign.image_version == VERSION


@pytest.mark.parametrize("failure", ["unconfirmed", "down"])
def test_a_bad_image_stops_after_the_canary_and_nothing_is_sent_further(
    fleet, target_devices, tenant_admin, failure
):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    fleet.mark_image_bad(IMAGE, failure=failure, down_after_seconds=0)
    campaign = _campaign(tenant_admin, canary=3)
    services.start_campaign(campaign=campaign, user=tenant_admin)
    fleet.clear_log()

    campaign = step_until_ended(campaign)
    for _ in range(3):  # beat goes on stepping: a stopped campaign sends nothing
        engine.advance(campaign.pk)

    assert campaign.state == Campaign.State.STOPPED
    assert campaign.wave == 1
    canary = needing(devices[:3])
    assert patches(fleet) == patched(canary)
    later = CampaignDevice.objects.filter(campaign=campaign, wave__gt=1)
    assert later.count() == len(devices) - 3
    assert set(later.values_list("outcome", flat=True)) == {Outcome.WAITING}
    expected = Outcome.UNCONFIRMED if failure == "unconfirmed" else Outcome.DOWN
    assert {
        r.device_id: r.outcome for r in CampaignDevice.objects.filter(campaign=campaign, wave=1)
    } == {d.id: expected if d in canary else Outcome.ALREADY for d in devices[:3]}
    if failure == "unconfirmed":
        assert campaign.stop_reason.startswith(  # of the devices that needed the update
            f"stopped: {len(canary)} of {len(canary)} devices of wave 1 failed or did not confirm"
        )
    else:
        assert campaign.stop_reason.startswith(
            f"stopped: {len(canary)} of {len(canary)} Down within 2 min"
        )
    assert _texts(campaign)[-1] == campaign.stop_reason


def test_devices_down_before_the_campaign_do_not_stop_it(fleet, target_devices, tenant_admin):
    """Already-unhealthy devices: Down at their turn, tried again, then skipped; they
    count neither as failed nor as Down after an update."""
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    for device in devices[:2]:
        fleet.set_status(device.id, False)
    campaign = _campaign(tenant_admin, canary=2, max_failed_percent=0, max_down_percent=0)
    services.start_campaign(campaign=campaign, user=tenant_admin)

    campaign = step_until_ended(campaign)

    assert campaign.state == Campaign.State.FINISHED
    skipped = CampaignDevice.objects.filter(campaign=campaign, outcome=Outcome.SKIPPED)
    assert sorted(skipped.values_list("device_id", flat=True)) == [d.id for d in devices[:2]]
    assert skipped.first().message == "Down at each of its 2 turns: skipped."
    assert skipped.first().down_before is True
    # A canary updating nobody proves nothing: the next device was tried before wave 2.
    assert "canary: nothing sent (2 skipped); trying the next device" in _texts(campaign)
    assert CampaignDevice.objects.filter(
        campaign=campaign, wave=1, outcome=Outcome.CONFIRMED
    ).exists()


def test_a_paused_campaign_sends_nothing_until_it_is_resumed(fleet, target_devices, tenant_admin):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    campaign = _campaign(tenant_admin, soak_minutes=0)
    services.start_campaign(campaign=campaign, user=tenant_admin)
    engine.advance(campaign.pk)  # the canary is sent
    services.pause_campaign(campaign=campaign, user=tenant_admin)
    fleet.clear_log()
    for _ in range(3):
        engine.advance(campaign.pk)
    assert patches(fleet) == {}
    assert (
        not CampaignDevice.objects.filter(campaign=campaign, wave__gt=1)
        .exclude(outcome=Outcome.WAITING)
        .exists()
    )

    services.resume_campaign(campaign=campaign, user=tenant_admin)
    campaign = step_until_ended(campaign, every=timedelta(seconds=5))

    assert campaign.state == Campaign.State.FINISHED
    assert patches(fleet) == patched(needing(devices[2:]))
    assert [t.split(" by ")[0] for t in _texts(campaign) if " by " in t] == [
        "created", "started", "paused", "resumed",
    ]  # fmt: skip


def test_a_stopped_campaign_resumed_goes_on_past_the_wave_that_stopped_it(
    fleet, target_devices, tenant_admin
):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    fleet.mark_image_bad(IMAGE, failure="unconfirmed")
    campaign = step_until_ended(_started(tenant_admin))
    assert campaign.state == Campaign.State.STOPPED
    fleet.mark_image_good(IMAGE)

    services.resume_campaign(campaign=campaign, user=tenant_admin)
    campaign = step_until_ended(campaign)

    assert campaign.state == Campaign.State.FINISHED
    assert "resumed by tenant-admin: the stop of wave 1 overridden" in _texts(campaign)
    assert (
        not CampaignDevice.objects.filter(campaign=campaign, wave__gt=1)
        .exclude(outcome__in=[Outcome.CONFIRMED, Outcome.ALREADY])
        .exists()
    )


def _started(user):
    campaign = _campaign(user)
    services.start_campaign(campaign=campaign, user=user)
    return campaign


def test_its_organizations_rules_are_notified_on_start_each_wave_stop(
    fleet, target_devices, tenant_admin, django_capture_on_commit_callbacks, monkeypatch
):
    from accounts.models import Organization
    from alerts import services as alert_services
    from alerts.messages import text_of
    from alerts.models import Delivery

    monkeypatch.setattr("alerts.tasks.queue_deliveries", lambda ids: None)  # made, not sent
    Organization.objects.filter(upstream_id=ORG_A).update(name="Andes Fiber ISP")

    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    fleet.mark_image_bad(IMAGE, failure="unconfirmed")
    ours = alert_services.create_rule(
        name="Campaigns", organization_id=ORG_A, events=["campaign"],
        destination_urls=["json://127.0.0.1:9/hook"],
    )  # fmt: skip
    alert_services.create_rule(
        name="Only Down", organization_id=ORG_A, destination_urls=["json://127.0.0.1:9/down"]
    )
    alert_services.create_rule(
        name="Theirs", organization_id=11, events=["campaign"],
        destination_urls=["json://127.0.0.1:9/other"],
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        campaign = _started(tenant_admin)
        campaign = step_until_ended(campaign)

    deliveries = Delivery.objects.order_by("pk")
    assert {d.rule_id for d in deliveries} == {ours.pk}
    assert [d.subject.split(": ", 1)[1] for d in deliveries] == [
        f"started by tenant-admin: {len(devices)} devices in 4 waves "
        f"({', '.join(map(str, campaign.wave_sizes))})",
        "canary started: 2 devices",
        campaign.stop_reason,
    ]
    assert deliveries.last().body["link"].endswith(f"/campaigns/{campaign.pk}/")
    assert deliveries.last().body["organization"] == {"id": ORG_A, "name": "Andes Fiber ISP"}
    text = text_of(deliveries.last().subject, deliveries.last().body)
    assert f"Organization: Andes Fiber ISP (id {ORG_A})" in text


def test_a_device_the_poller_saw_go_down_in_its_soak_counts_as_down(
    fleet, target_devices, tenant_admin
):
    """Up again when the campaign reads it, but the durable history has its Down."""
    from datetime import UTC, datetime

    from devices.models import StatusChange

    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    campaign = _campaign(tenant_admin, canary=1, soak_minutes=10)
    services.start_campaign(campaign=campaign, user=tenant_admin)
    first = CampaignDevice.objects.filter(campaign=campaign).first()
    now = datetime.now(UTC)
    engine.advance(campaign.pk, now=now)  # sent
    engine.advance(campaign.pk, now=now + timedelta(seconds=30))  # confirmed, soaking
    first.refresh_from_db()
    if first.outcome == Outcome.ALREADY:
        pytest.skip("the seed fleet's first device already runs the image")
    assert first.outcome == Outcome.CONFIRMED
    StatusChange.objects.create(
        device_id=first.device_id, organization_id=ORG_A, from_status="Up", to_status="Down",
        at=now + timedelta(seconds=60), seen_by="full", poll_at=now + timedelta(seconds=60),
    )  # fmt: skip
    engine.advance(campaign.pk, now=now + timedelta(seconds=90))

    first.refresh_from_db()
    campaign.refresh_from_db()
    assert first.outcome == Outcome.DOWN
    assert campaign.state == Campaign.State.STOPPED
    assert campaign.stop_reason.startswith("stopped: 1 of 1 Down within 10 min")


def test_nothing_is_sent_outside_the_schedule_window(fleet, target_devices, tenant_admin):
    from datetime import UTC, datetime

    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    later = datetime.now(UTC) + timedelta(days=1)
    campaign = _campaign(tenant_admin, not_before=later)
    services.start_campaign(campaign=campaign, user=tenant_admin)
    fleet.clear_log()
    for _ in range(2):
        engine.advance(campaign.pk)
    assert patches(fleet) == {}
    assert _texts(campaign)[-1] == "waiting for the schedule window"
    assert _texts(campaign).count("waiting for the schedule window") == 1

    engine.advance(campaign.pk, now=later + timedelta(seconds=1))
    assert patches(fleet) == patched(needing(devices[:2]))


def test_only_the_serial_numbers_given_are_updated(fleet, target_devices, tenant_admin):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    chosen = devices[5:9]
    campaign = _campaign(tenant_admin, canary=1, waves="100%", soak_minutes=0,
                         serials=(*(d.serial_number for d in chosen), "NOT-A-SERIAL"))  # fmt: skip
    services.start_campaign(campaign=campaign, user=tenant_admin)
    fleet.clear_log()

    campaign = step_until_ended(campaign)

    assert campaign.state == Campaign.State.FINISHED
    assert patches(fleet) == patched(needing(chosen))
    assert "1 serial number not found in the target: NOT-A-SERIAL" in _texts(campaign)[1]
    # Finished: no wave is shown as the current one any more.
    assert not any(row["current"] for row in selectors.progress(campaign))


def test_a_roll_back_takes_the_devices_reached_back_to_the_previous_image(
    fleet, target_devices, tenant_admin
):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    fleet.mark_image_bad(IMAGE, failure="down", down_after_seconds=0)
    stopped = step_until_ended(_started(tenant_admin))
    reached = needing(devices[:2])

    rollback = services.rollback_campaign(campaign=stopped, user=tenant_admin, image_id=IMAGE - 1)
    services.start_campaign(campaign=rollback, user=tenant_admin)
    for device in reached:  # they went Down with the bad image; someone power-cycled them
        fleet.set_status(device.id, True)
    fleet.clear_log()
    rollback = step_until_ended(rollback)

    assert rollback.state == Campaign.State.FINISHED
    assert rollback.serials == [d.serial_number for d in reached]
    assert patches(fleet) == patched(reached)
    assert _texts(stopped)[-1].startswith(f"roll back to image {IMAGE - 1} prepared by")
    with pytest.raises(services.CampaignError, match="previous image"):
        services.rollback_campaign(campaign=stopped, user=tenant_admin, image_id=IMAGE)


def test_a_paused_campaign_still_follows_what_it_sent(fleet, target_devices, tenant_admin):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    campaign = _campaign(tenant_admin, soak_minutes=0)
    services.start_campaign(campaign=campaign, user=tenant_admin)
    engine.advance(campaign.pk)  # the canary is sent
    services.pause_campaign(campaign=campaign, user=tenant_admin)
    assert engine.running_campaigns() == [campaign.pk] or not needing(devices[:2])

    engine.advance(campaign.pk)

    canary = CampaignDevice.objects.filter(campaign=campaign, wave=1)
    assert set(canary.values_list("outcome", flat=True)) <= {Outcome.CONFIRMED, Outcome.ALREADY}
    assert engine.running_campaigns() == []
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED and campaign.wave == 1


def test_a_step_finds_the_campaign_held_by_another_worker_and_does_nothing(
    fleet, target_devices, tenant_admin
):
    from datetime import UTC, datetime

    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    campaign = _started(tenant_admin)
    held = engine.Lease.take(campaign.pk, datetime.now(UTC))
    fleet.clear_log()

    assert engine.advance(campaign.pk) == "not running, or stepped by another worker"
    assert patches(fleet) == {}
    held.release()
    engine.advance(campaign.pk)
    assert patches(fleet) == patched(needing(devices[:2]))


def test_an_upstream_outage_sends_nothing_and_loses_nothing(fleet, target_devices, tenant_admin):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    campaign = _started(tenant_admin)
    fleet.set_faults(outage_seconds=600)
    fleet.clear_log()

    assert engine.advance(campaign.pk) == "wave 1: 0 sent"

    canary = CampaignDevice.objects.filter(campaign=campaign, wave=1)
    assert set(canary.values_list("outcome", flat=True)) == {Outcome.WAITING}
    assert canary.first().message.startswith("Not read, so not sent yet")
    assert patches(fleet) == {}
    fleet.clear_faults()
    engine.advance(campaign.pk)
    assert patches(fleet) == patched(needing(devices[:2]))
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.RUNNING


def _put_on_image(simulator, device):
    """Update the device to the campaign's image before the campaign, as someone did by hand."""
    with ControlAPI(simulator.api_url, ALL_TOKEN) as api:
        api.schedule_firmware(device.id, IMAGE)
        assert api.get_device(device.id, pending=True).firmware_image_is_pending is False


def test_a_canary_already_on_the_image_proves_nothing_so_the_next_device_is_tried_and_soaked(
    fleet, target_devices, tenant_admin, simulator
):
    from datetime import UTC, datetime

    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    first, second = devices[:2]
    _put_on_image(simulator, first)
    assert second.firmware_image != IMAGE
    campaign = _campaign(tenant_admin, canary=1, waves="50%,100%", soak_minutes=10)
    services.start_campaign(campaign=campaign, user=tenant_admin)
    fleet.clear_log()
    start = datetime.now(UTC)

    # The first device is read (already on it), the next one sent, then confirmed and soaked.
    for seconds in (0, 15, 15 + 599):
        engine.advance(campaign.pk, now=start + timedelta(seconds=seconds))

    campaign.refresh_from_db()
    assert campaign.wave == 1, _texts(campaign)
    assert patches(fleet) == patched([second])
    canary = CampaignDevice.objects.filter(campaign=campaign, wave=1)
    assert {r.device_id: r.outcome for r in canary} == {
        first.id: Outcome.ALREADY,
        second.id: Outcome.CONFIRMED,
    }
    assert _texts(campaign)[-1] == (
        "canary: nothing sent (1 already on the image); trying the next device"
    )

    engine.advance(campaign.pk, now=start + timedelta(seconds=15 + 601))  # the soak is over

    campaign.refresh_from_db()
    assert campaign.wave == 2
    assert _texts(campaign)[-2:] == [
        "canary done: 1 updated, 1 already on the image, 0 failed, 0 Down after their update, "
        "0 skipped",
        f"wave 2 started: {campaign.wave_sizes[1]} devices",
    ]


def test_a_campaign_whose_devices_are_all_on_the_image_finishes_saying_so(
    fleet, target_devices, tenant_admin, client_of
):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    on_it = [d for d in devices if d.firmware_image == IMAGE][:3]
    campaign = _campaign(tenant_admin, canary=1, waves="50%,100%",
                         serials=tuple(d.serial_number for d in on_it))  # fmt: skip
    services.start_campaign(campaign=campaign, user=tenant_admin)
    fleet.clear_log()

    campaign = step_until_ended(campaign)

    assert campaign.state == Campaign.State.FINISHED
    assert patches(fleet) == {}
    assert _texts(campaign)[2:] == [
        "canary started: 1 device",
        "canary: nothing sent (1 already on the image); trying the next device",
        "finished: nothing sent, every device already on the image (3 devices)",
    ]
    page = client_of(tenant_admin).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert '<th scope="col">Already on the image</th>' in page
    assert "finished: nothing sent, every device already on the image" in page


def test_a_device_another_campaign_is_still_updating_is_left_out_and_said(
    fleet, target_devices, tenant_admin
):
    """Before, a second campaign (the form sent again, or another image) took the same
    devices while the first was still sending to them: two updates for one device at once."""
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    first = _campaign(tenant_admin, serials=tuple(d.serial_number for d in devices[:4]))
    services.start_campaign(campaign=first, user=tenant_admin)
    second = _campaign(tenant_admin)

    services.start_campaign(campaign=second, user=tenant_admin)

    taken = set(CampaignDevice.objects.filter(campaign=second).values_list("device_id", flat=True))
    assert taken == {d.id for d in devices[4:]}
    said = f"4 devices left out: campaign {first.pk} is still updating them"
    assert any(said in text for text in _texts(second))

    only_those = _campaign(tenant_admin, serials=tuple(d.serial_number for d in devices[:4]))
    with pytest.raises(services.CampaignError, match=f"campaign {first.pk} is still updating"):
        services.start_campaign(campaign=only_those, user=tenant_admin)
