"""python manage.py firmware_campaign: create prints the id, start|pause|resume|cancel
change the state (audited by "(command line)"), show gives state and counts one a line."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditEntry
from campaigns import engine
from campaigns.models import Campaign
from tests.campaigns.conftest import IMAGE, TYPE, all_up, needing, step_until_ended
from tests.fixtures.fresh_process import run_command
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
        f"wave 1: 2 devices, {sent} sent, 0 updated, {2 - sent} already on the image, 0 failed, "
        "0 Down after their update, 0 skipped"
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
    with pytest.raises(CommandError, match="The window ends at the hour it starts"):
        call_command("firmware_campaign", "create", "--organization", "5", "--image", "64",
                     "--hours", "5-5")  # fmt: skip
    with pytest.raises(CommandError, match="There is no campaign 999"):
        call_command("firmware_campaign", "start", "999")
    campaign_id = _create(capsys)
    with pytest.raises(
        CommandError, match="Only a campaign that is running can be paused; this one is draft."
    ):
        call_command("firmware_campaign", "pause", str(campaign_id))
    empty = _create(capsys, "--organization", "5", "--type", "12")
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


def _shell(tmp_path, *arguments):
    return run_command(tmp_path, "firmware_campaign", *arguments)


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["show", "abc"], "Expected a whole number of at least 1, not 'abc'."),
        (["start", "0"], "Expected a whole number of at least 1, not '0'."),
        (["create", "--organization", "x", "--image", "64"], "not 'x'"),
        (["create", "--organization", "5", "--image", "64", "--soak-minutes", "-1"],
         "Expected a number of at least 0, not '-1'."),
        (["create", "--organization", "5", "--image", "64", "--hours", "22"],
         "Expected hours such as 22-6"),
        (["create", "--organization", "5", "--image", "64", "--not-before", "yesterday"],
         "is not a date and time"),
    ],
)  # fmt: skip
def test_a_bad_argument_is_said_in_words_without_a_traceback(tmp_path, arguments, words):
    done = _shell(tmp_path, *arguments)
    assert done.returncode != 0
    assert words in done.stderr
    assert "Traceback" not in done.stderr


def test_a_serials_file_that_is_not_text_is_said_in_words_without_a_traceback(tmp_path):
    binary = tmp_path / "serials.bin"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    done = _shell(tmp_path, "create", "--organization", "5", "--image", "64",
                  "--serials", str(binary))  # fmt: skip
    assert done.returncode != 0
    assert f"{binary}: The file is not UTF-8 text." in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("content", ["", "\n  \n\n", "serial_number\n"])
def test_a_serials_file_without_serial_numbers_creates_nothing(tmp_path, content):
    """An empty file does not mean every device of the organization, as on the form."""
    empty = tmp_path / "serials.csv"
    empty.write_text(content)
    with pytest.raises(CommandError, match="holds no serial number"):
        call_command("firmware_campaign", "create", "--organization", str(ORG_A),
                     "--image", str(IMAGE), "--serials", str(empty))  # fmt: skip
    assert not Campaign.objects.exists()


def test_a_csv_of_serial_numbers_is_read_as_on_the_form(capsys, tmp_path):
    listed = tmp_path / "serials.csv"
    listed.write_bytes("\ufeffserial_number,note\nZQ-1,first\n\nZQ-2\nZQ-1\n".encode())
    campaign_id = _create(capsys, "--serials", str(listed))
    assert Campaign.objects.get(pk=campaign_id).serials == ["ZQ-1", "ZQ-2"]


@pytest.mark.parametrize("option", ["--organization", "--type", "--image"])
def test_an_id_too_large_is_refused_with_the_largest_one_named(option):
    given = {"--organization": str(ORG_A), "--image": str(IMAGE)} | {option: str(2**31)}
    words = f"The {option[2:]} id is a whole number from 1 to 2147483647."
    with pytest.raises(CommandError, match=words):
        call_command("firmware_campaign", "create", *(w for pair in given.items() for w in pair))
    assert not Campaign.objects.exists()
