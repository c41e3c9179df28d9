"""python manage.py firmware_campaign: create prints the id, start|pause|resume|cancel
change the state (audited by "(command line)"), show gives state and counts one a line."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditEntry
from campaigns import engine
from campaigns.models import Campaign
from tests.campaigns.conftest import IMAGE, TYPE, all_up, needing, step_until_ended
from tests.fixtures.users import ORG_A

pytestmark = pytest.mark.django_db


def _create(capsys, *extra):
    call_command(
        "firmware_campaign", "create", "--organization", str(ORG_A), "--type", str(TYPE),
        "--image", str(IMAGE), "--canary", "2", "--waves", "10%,50%,100%",
        "--soak-minutes", "1", "--max-failed-percent", "20", "--max-down-percent", "15",
        *extra,
    )  # fmt: skip
    return int(capsys.readouterr().out.strip())


def test_create_prints_the_id_of_a_draft_with_what_was_asked(capsys):
    campaign_id = _create(capsys, "--hours", "22-6", "--time-zone", "America/Bogota")

    campaign = Campaign.objects.get(pk=campaign_id)
    assert campaign.state == Campaign.State.DRAFT
    assert (campaign.organization_id, campaign.type_id, campaign.image_id) == (ORG_A, TYPE, IMAGE)
    assert (campaign.canary, campaign.waves, campaign.soak_seconds) == (2, [10, 50, 100], 60)
    assert (campaign.max_failed_percent, campaign.max_down_percent) == (20, 15)
    assert (campaign.hours_from, campaign.hours_to, campaign.time_zone) == (
        22, 6, "America/Bogota",
    )  # fmt: skip
    entry = AuditEntry.objects.get(action="campaign_create")
    assert entry.username == "(command line)" and entry.organization_id == ORG_A


def test_start_pause_resume_cancel_and_show(capsys, fleet, target_devices, organizations):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    campaign_id = _create(capsys)

    for command, state in (("start", "running"), ("pause", "paused"), ("resume", "running")):
        call_command("firmware_campaign", command, str(campaign_id))
        assert capsys.readouterr().out.strip() == f"Campaign {campaign_id}: {state}."
    engine.advance(campaign_id)  # the canary is sent
    call_command("firmware_campaign", "show", str(campaign_id))
    lines = capsys.readouterr().out.splitlines()

    assert lines[:3] == [
        f"campaign: {campaign_id}", "state: running",
        f"target: Test organization {ORG_A} (#{ORG_A}), type {TYPE}",
    ]  # fmt: skip
    assert f"devices: {len(devices)}" in lines
    sent = len(needing(devices[:2]))
    assert f"sent: {sent}" in lines
    assert (
        f"wave 1: 2 devices, {sent} sent, {2 - sent} updated, 0 failed, 0 Down after, 0 skipped"
    ) in lines

    call_command("firmware_campaign", "cancel", str(campaign_id))
    assert capsys.readouterr().out.strip() == f"Campaign {campaign_id}: cancelled."
    assert step_until_ended(Campaign.objects.get(pk=campaign_id)).state == "cancelled"
    actions = AuditEntry.objects.filter(username="(command line)").values_list("action", flat=True)
    changes = {"campaign_start", "campaign_pause", "campaign_resume", "campaign_cancel"}
    assert changes <= set(actions)


def test_errors_are_words_and_a_non_zero_exit(capsys, fleet):
    with pytest.raises(CommandError, match="The last wave is 100%"):
        call_command("firmware_campaign", "create", "--organization", "5", "--image", "64",
                     "--waves", "10%,50%")  # fmt: skip
    with pytest.raises(CommandError, match="There is no campaign 999"):
        call_command("firmware_campaign", "start", "999")
    campaign_id = _create(capsys)
    with pytest.raises(
        CommandError, match="Only a campaign that is running can be paused; this one is draft."
    ):
        call_command("firmware_campaign", "pause", str(campaign_id))
    empty = _create(capsys, "--organization", "5", "--type", "12", "--serials", "/dev/null")
    call_command("firmware_campaign", "cancel", str(empty))
    with pytest.raises(CommandError, match="Only a draft starts; this campaign is cancelled"):
        call_command("firmware_campaign", "start", str(empty))


def test_rollback_prints_the_id_of_a_draft_of_the_previous_image(capsys, fleet, target_devices):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    fleet.mark_image_bad(IMAGE, failure="unconfirmed")
    campaign_id = _create(capsys, "--confirm-timeout-minutes", "1")
    call_command("firmware_campaign", "start", str(campaign_id))
    capsys.readouterr()
    step_until_ended(Campaign.objects.get(pk=campaign_id))

    call_command("firmware_campaign", "rollback", str(campaign_id), "--image", str(IMAGE - 1))

    rollback = Campaign.objects.get(pk=int(capsys.readouterr().out.strip()))
    assert (rollback.state, rollback.image_id) == ("draft", IMAGE - 1)
    assert len(rollback.serials) == len(needing(devices[:2]))
    assert (
        AuditEntry.objects.filter(action="campaign_create", username="(command line)").count() == 2
    )
