"""A flapping device (3 or more transitions in the last hour) sends one summary per
flapping episode, and its Down and Up messages wait while it flaps."""

import pytest

pytestmark = pytest.mark.django_db

HOUR = 3600


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
    assert http_receiver.requests == []
