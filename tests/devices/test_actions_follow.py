"""What confirms an action: the device's own state showing the action's effect, read after
the upstream answered; an answer or a state that contradicts the request is said so."""

from datetime import timedelta

import pytest

from devices import action_follow, tasks
from devices.models import ActionRecord
from tests.fixtures.operations import writes

pytestmark = pytest.mark.django_db


def post_action(client, device_id, action, key, **fields):
    return client.post(f"/devices/{device_id}/actions/{action}/", {"key": key, **fields})


def follow(client, device_id, record):
    return client.get(f"/devices/{device_id}/actions/{record.pk}/status/")


def device_debug(client, device_id):
    html = client.get(f"/devices/{device_id}/").content.decode()
    return html.split("<dt>Debug</dt><dd>", 1)[1].split("</dd>", 1)[0]


def test_debug_off_sent_while_debug_on_is_pending_is_never_confirmed(
    cached_fleet, device_of_org, noc, client_of
):
    """The upstream compares Debug off with the flag the device has applied (still off), so it
    queues nothing and answers with "debug:on" still pending: debug ends up on."""
    device = device_of_org(5)
    client = client_of(noc)
    cached_fleet.settings(op_delay_seconds=30)
    post_action(client, device.id, "debug-on", "a" * 32)
    post_action(client, device.id, "debug-off", "b" * 32)
    off = ActionRecord.objects.get(key="b" * 32)
    assert "accepted by the control API" not in off.message
    assert "debug on is still pending" in off.message
    assert "debug off was not queued" in off.message
    cached_fleet.advance(31)  # debug on applies
    panel = follow(client, device.id, off).content.decode()
    assert "Confirmed by the device" not in panel
    assert "Not applied" in panel
    on = ActionRecord.objects.get(key="a" * 32)
    assert "Confirmed by the device" in follow(client, device.id, on).content.decode()
    assert device_debug(client, device.id) == "on"


def test_debug_off_is_confirmed_only_when_the_device_reports_debug_off(
    cached_fleet, device_of_org, noc, client_of
):
    device = device_of_org(5)
    client = client_of(noc)
    post_action(client, device.id, "debug-on", "a" * 32)
    cached_fleet.advance(5)
    post_action(client, device.id, "debug-off", "b" * 32)
    off = ActionRecord.objects.get(key="b" * 32)
    assert off.message == "Debug off: accepted by the control API (Debug off pending)."
    assert "Waiting for the device" in follow(client, device.id, off).content.decode()
    cached_fleet.advance(5)
    assert "Confirmed by the device" in follow(client, device.id, off).content.decode()
    assert device_debug(client, device.id) == "off"


def test_a_read_older_than_the_answer_confirms_nothing(
    cached_fleet, device_of_org, operator, client_of
):
    """A device read that started before the action was sent (say a refresh in flight) has
    no pending entry yet: it must not count as the device having done the work."""
    device = device_of_org(5)
    client = client_of(operator)
    post_action(client, device.id, "reconf", "a" * 32)
    record = ActionRecord.objects.get(key="a" * 32)
    assert record.pending_seen
    cached_fleet.advance(5)
    stale = ActionRecord.objects.filter(pk=record.pk)
    stale.update(answered_change=record.answered_change.replace(year=2100))
    assert "Waiting for the device" in follow(client, device.id, record).content.decode()
    stale.update(answered_change=record.answered_change)
    assert "Confirmed by the device" in follow(client, device.id, record).content.decode()


def test_a_confirmed_record_no_longer_says_it_waits(
    cached_fleet, device_of_org, operator, client_of
):
    device = device_of_org(5)
    client = client_of(operator)
    post_action(client, device.id, "sync", "a" * 32)
    record = ActionRecord.objects.get(key="a" * 32)
    cached_fleet.advance(5)
    panel = follow(client, device.id, record).content.decode()
    assert "Confirmed by the device" in panel
    assert "waiting for the device" not in panel.lower()


def test_an_action_the_control_api_refused_as_bad_input_offers_no_send_again(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    response = post_action(client, device.id, "firmware", "a" * 32, firmware_image="99999")
    record = ActionRecord.objects.get(key="a" * 32)
    assert record.upstream_status == 400
    page = client.get(response["Location"]).content.decode()
    assert "object does not exist" in page
    assert "send again" not in page
    resent = client.post(f"/devices/{device.id}/actions/{record.pk}/resend/", {"key": "r" * 32})
    assert resent.status_code == 400
    assert writes(cached_fleet, device.id) == 1


def test_a_failure_without_an_answer_still_offers_send_again(
    cached_fleet, device_of_org, operator, client_of
):
    device = device_of_org(5)
    client = client_of(operator)
    cached_fleet.set_faults(next_errors=1, error_status=503, method="PATCH")
    response = post_action(client, device.id, "sync", "a" * 32)
    assert ActionRecord.objects.get(key="a" * 32).upstream_status == 503
    assert "send again" in client.get(response["Location"]).content.decode()


def test_send_again_of_debug_off_is_not_taken_as_pending_by_a_pending_debug_on(
    cached_fleet, device_of_org, noc, client_of, settings
):
    """Debug off timed out; meanwhile debug:on is what is pending. That is not the lost
    request having arrived: the re-send goes out and its answer is shown as contradicting."""
    device = device_of_org(5)
    client = client_of(noc)
    cached_fleet.settings(op_delay_seconds=30)
    post_action(client, device.id, "debug-on", "a" * 32)
    settings.ACTION_READ_TIMEOUT = 1
    cached_fleet.set_faults(next_hangs=1, hang_seconds=1.5, method="PATCH")
    post_action(client, device.id, "debug-off", "b" * 32)
    lost = ActionRecord.objects.get(key="b" * 32)
    assert lost.state == ActionRecord.State.UNKNOWN
    cached_fleet.clear_faults()
    client.post(f"/devices/{device.id}/actions/{lost.pk}/resend/", {"key": "r" * 32})
    again = ActionRecord.objects.get(key="r" * 32)
    assert again.state != ActionRecord.State.ALREADY_PENDING
    assert again.follow == ActionRecord.Follow.CONTRADICTED
    assert "debug off was not queued" in again.message


def test_debug_on_for_a_device_that_has_it_on_says_so_and_is_confirmed(
    cached_fleet, device_of_org, noc, client_of
):
    device = device_of_org(5)
    client = client_of(noc)
    post_action(client, device.id, "debug-on", "a" * 32)
    cached_fleet.advance(5)
    post_action(client, device.id, "debug-on", "b" * 32)
    again = ActionRecord.objects.get(key="b" * 32)
    assert again.message.endswith("The device already has debug on.")
    assert "Confirmed by the device" in follow(client, device.id, again).content.decode()


def test_an_action_is_confirmed_by_the_next_poll_with_no_page_open(
    cached_fleet, device_of_org, operator, client_of
):
    """Before, only the page's own polling followed an action: left alone, it stayed
    "waiting" and was later called "not confirmed" although the device had done it."""
    device = device_of_org(5)
    post_action(client_of(operator), device.id, "reconf", "a" * 32)
    cached_fleet.advance(5)  # the device applies it

    tasks.poll_fleet.apply(kwargs={"mode": "full"})

    record = ActionRecord.objects.get(key="a" * 32)
    assert record.follow == ActionRecord.Follow.CONFIRMED
    assert record.confirmed_at is not None


def test_a_page_opened_after_the_follow_limit_reads_the_device_before_giving_up(
    cached_fleet, device_of_org, operator, client_of
):
    device = device_of_org(5)
    client = client_of(operator)
    post_action(client, device.id, "reconf", "a" * 32)
    cached_fleet.advance(5)
    record = ActionRecord.objects.get(key="a" * 32)
    ActionRecord.objects.filter(pk=record.pk).update(
        created_at=record.created_at - action_follow.follow_limit() - timedelta(minutes=1)
    )

    panel = follow(client, device.id, record)

    assert "Confirmed by the device" in panel.content.decode()
    assert "Not confirmed by the device in time" not in panel.content.decode()
    assert "device-refreshed" in panel["HX-Trigger"]  # the pending settings reload


def test_an_action_still_pending_after_the_follow_limit_is_not_confirmed_in_time(
    cached_fleet, device_of_org, operator, client_of
):
    device = device_of_org(5)
    client = client_of(operator)
    cached_fleet.settings(op_delay_seconds=3600)
    post_action(client, device.id, "reconf", "a" * 32)
    record = ActionRecord.objects.get(key="a" * 32)
    ActionRecord.objects.filter(pk=record.pk).update(
        created_at=record.created_at - action_follow.follow_limit() - timedelta(minutes=1)
    )

    tasks.poll_fleet.apply(kwargs={"mode": "full"})

    record.refresh_from_db()
    assert record.follow == ActionRecord.Follow.TIMED_OUT


def test_the_timeline_says_a_contradicted_action_was_answered_not_accepted(
    cached_fleet, device_of_org, noc, client_of
):
    device = device_of_org(5)
    client = client_of(noc)
    cached_fleet.settings(op_delay_seconds=30)
    post_action(client, device.id, "debug-on", "a" * 32)
    post_action(client, device.id, "debug-off", "b" * 32)
    cached_fleet.advance(31)
    follow(client, device.id, ActionRecord.objects.get(key="b" * 32))

    timeline = f"/devices/{device.id}/timeline/"
    part = client.get(timeline, {"kind": "actions"}, HTTP_HX_REQUEST="true")

    text = part.content.decode()
    assert "Answered by the control API; not applied" in text
    assert "Accepted by the control API; contradicted" not in text


def test_send_again_is_offered_only_to_those_whose_role_allows_the_action(
    cached_fleet, device_of_org, operator, noc_viewer, client_of
):
    """Before, a viewer (and the wall's display account) saw the button, and pressing it
    left "Not allowed: nothing sent" in the device's timeline."""
    device = device_of_org(5)
    cached_fleet.set_faults(next_errors=1, error_status=503, method="PATCH")
    post_action(client_of(operator), device.id, "sync", "a" * 32)

    page = client_of(noc_viewer).get(f"/devices/{device.id}/").content.decode()

    assert "Refused or failed" in page
    assert "send again" not in page
