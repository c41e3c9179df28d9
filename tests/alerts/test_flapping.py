"""A flapping device (3 or more transitions in the last hour) sends one summary per
flapping episode, and its Down and Up messages wait while it flaps; a Down that stays Down
for the rule's settled time (its delay or FLAP_SETTLED_SECONDS, whichever is longer) is
sent all the same, once per flap."""

import pytest

from alerts.models import FLAP_SETTLED_SECONDS, AlertRule

pytestmark = pytest.mark.django_db

HOUR = 3600
SETTLED = FLAP_SETTLED_SECONDS  # the rules below have a shorter delay


def test_a_flapping_device_sends_one_summary_and_holds_its_downs_and_ups(
    alerts, up_device, http_receiver
):
    device = up_device[0]
    alerts.rule(organization_id=5, events=["down", "flapping"],
                destination_urls=[f"json://{http_receiver.url}/hook"])  # fmt: skip
    alerts.take(device, up=False)
    assert [d.event for d in alerts.evaluate(after=61)] == ["down"]
    alerts.take(device, up=True)
    assert [d.event for d in alerts.evaluate(after=70)] == ["up"]

    alerts.take(device, up=False)  # the third change in the hour: flapping
    assert [d.event for d in alerts.evaluate(after=80)] == ["flapping"]
    for up in (True, False, True, False):
        alerts.take(device, up=up)
        assert alerts.evaluate(after=200) == []

    # An hour on, its changes have aged out: the flap is over, and it is still Down.
    sent = alerts.evaluate(after=HOUR + 300)
    assert sorted(d.event for d in sent) == ["down", "flapping_ended"]
    assert alerts.evaluate(after=HOUR + 400) == []


def test_a_rule_without_flapping_still_holds_the_flapping_devices_messages(
    alerts, up_device, http_receiver
):
    device = up_device[0]
    alerts.rule(organization_id=5, delay_seconds=0,
                destination_urls=[f"json://{http_receiver.url}/hook"])  # fmt: skip
    for up in (False, True, False):
        alerts.take(device, up=up)
    alerts.evaluate(after=1)  # flapping already: the Down waits
    for up in (True, False, True):
        alerts.take(device, up=up)

    assert alerts.evaluate(after=100) == []
    assert alerts.evaluate(after=SETTLED + 100) == []  # each Down was shorter than that
    assert http_receiver.requests == []


def test_a_flapping_device_that_stays_down_is_notified_without_the_flapping_event(
    alerts, up_device, smtp_server
):
    """The demo's report: Down, Up, then Down again for good sent nothing for 37 minutes,
    because the third change made the device count as flapping for the hour."""
    device = up_device[0]
    rule = alerts.rule(organization_id=5, events=["down", "up"], delay_seconds=0,
                       destination_urls=["mailto://oncall@example.com"])  # fmt: skip
    AlertRule.objects.filter(pk=rule.pk).update(device_ids=[device.id, up_device[1].id])
    alerts.take(device, up=False)
    assert [d.event for d in alerts.evaluate(after=1)] == ["down"]
    alerts.take(device, up=True)
    assert [d.event for d in alerts.evaluate(after=2)] == ["up"]

    alerts.take(device, up=False)  # the third change in the hour: flapping, and it stays Down
    assert alerts.evaluate(after=3) == []
    assert alerts.evaluate(after=SETTLED - 30) == []  # a flap's short Down would end here
    sent = alerts.evaluate(after=SETTLED + 5)
    assert [d.event for d in sent] == ["down"]
    assert len(smtp_server.messages) == 3
    assert device.name in smtp_server.messages[-1]["subject"]
    assert "went Down" in smtp_server.messages[-1]["subject"]

    # Still Down when the flap ends an hour on: it was told once, nothing more.
    assert alerts.evaluate(after=SETTLED + 600) == []
    assert alerts.evaluate(after=HOUR + 300) == []
    assert len(smtp_server.messages) == 3


def test_a_rule_with_flapping_gets_its_summary_and_the_down_that_stays_then_nothing_per_change(
    alerts, up_device, http_receiver
):
    device = up_device[0]
    alerts.rule(organization_id=5, events=["down", "up", "flapping"], delay_seconds=0,
                destination_urls=[f"json://{http_receiver.url}/hook"])  # fmt: skip
    for up in (False, True):
        alerts.take(device, up=up)
        alerts.evaluate(after=1)
    alerts.take(device, up=False)
    assert [d.event for d in alerts.evaluate(after=2)] == ["flapping"]
    assert [d.event for d in alerts.evaluate(after=SETTLED + 5)] == ["down"]

    # A storm of flaps after it sends nothing per change: the Down told stands.
    for up in (True, False, True, False, True):
        alerts.take(device, up=up)
        assert alerts.evaluate(after=SETTLED + 60) == []

    # The flap over and the device Up: one Up and the end of the flap.
    assert sorted(d.event for d in alerts.evaluate(after=HOUR + 600)) == ["flapping_ended", "up"]
    assert alerts.evaluate(after=HOUR + 700) == []
