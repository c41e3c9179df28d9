"""A maintenance window in force mutes its devices' notifications; when it ends with a
device still Down, that device notifies then, after the rule's delay."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from maintenance_windows.models import MaintenanceWindow

pytestmark = pytest.mark.django_db


@pytest.fixture
def window_of_org_5():
    now = timezone.now()
    return MaintenanceWindow.objects.create(
        organization_id=5, reason="Core switch upgrade", owner_name="ops",
        starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(minutes=10),
    )  # fmt: skip


def test_a_window_mutes_and_its_end_notifies_a_device_still_down(
    alerts, up_device, http_receiver, window_of_org_5
):
    still_down, back_up = up_device[:2]
    alerts.rule(organization_id=5, destination_urls=[f"json://{http_receiver.url}/hook"])
    alerts.take(still_down, up=False)
    alerts.take(back_up, up=False)

    assert alerts.evaluate(after=61) == []  # due, but in the window
    assert alerts.evaluate(after=300) == []
    alerts.take(back_up, up=True)  # back during the window: nothing to say
    assert alerts.evaluate(after=400) == []

    assert alerts.evaluate(after=601) == []  # the window has ended: the delay starts again
    sent = alerts.evaluate(after=662)

    assert [(d.event, d.device_id) for d in sent] == [("down", still_down.id)]
    assert [json.loads(r["body"])["device"]["id"] for r in http_receiver.requests] == [
        still_down.id
    ]


def test_a_window_ended_early_notifies_after_the_delay(
    alerts, up_device, http_receiver, window_of_org_5
):
    alerts.rule(organization_id=5, destination_urls=[f"json://{http_receiver.url}/hook"])
    alerts.take(up_device[0], up=False)
    assert alerts.evaluate(after=61) == []

    window_of_org_5.ended_at = timezone.now() + timedelta(seconds=100)
    window_of_org_5.save()

    assert alerts.evaluate(after=101) == []
    assert [d.event for d in alerts.evaluate(after=162)] == ["down"]


def test_a_window_of_another_organization_does_not_mute(alerts, up_device, http_receiver):
    now = timezone.now()
    MaintenanceWindow.objects.create(
        organization_id=7, reason="elsewhere", starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
    )  # fmt: skip
    alerts.rule(organization_id=5, destination_urls=[f"json://{http_receiver.url}/hook"])
    alerts.take(up_device[0], up=False)

    assert [d.event for d in alerts.evaluate(after=61)] == ["down"]
