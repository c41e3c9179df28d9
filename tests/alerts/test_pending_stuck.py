"""Pending settings stuck past the rule's `stuck_minutes` (counted from the first poll that
saw them, as the triage board counts): one message per device and episode."""

import pytest

from fleet.store.queries import DeviceQuery

pytestmark = pytest.mark.django_db


def test_pending_settings_stuck_past_the_rule_s_minutes_notify_once(alerts, http_receiver):
    pending = alerts.model.query(DeviceQuery(pending_only=True, limit=500), None).items
    assert pending, "the simulator's fleet has devices with pending settings"
    alerts.rule(events=["pending_stuck"], stuck_minutes=30,
                destination_urls=[f"json://{http_receiver.url}/hook"])  # fmt: skip

    assert alerts.evaluate(after=60) == []  # seen by the poll just now: not stuck yet
    sent = alerts.evaluate(after=31 * 60)

    assert sorted(d.device_id for d in sent) == sorted(d.id for d in pending)
    assert {d.event for d in sent} == {"pending_stuck"}
    assert "pending since" in sent[0].subject
    assert alerts.evaluate(after=40 * 60) == []
