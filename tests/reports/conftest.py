"""The reports' shared history: an hour of polls with a gap, one device's outage and a
maintenance window, as the polls and the window form write them."""

from datetime import UTC, datetime, timedelta

import pytest

from devices import history_store
from fleet.store.history import Transition
from maintenance_windows.models import MaintenanceWindow
from reports import uptime
from tests.fixtures.users import ORG_A

DAY = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday; the display zone is UTC in tests
NOW = DAY + timedelta(hours=12)
DEVICE = 4242


def poll(at, *, transitions=(), up=1, down=0, org=ORG_A):
    history_store.record_poll(
        seen_by="incremental", at=at, transitions=transitions, org_counts={org: (up, down)}
    )


def change(device, at, to, org=ORG_A):
    return Transition(device, org, "Up" if to == "Down" else "Down", to, at)


@pytest.fixture
def history(db, settings, monkeypatch):
    """Polls every 30 s from 10:00 to 11:00 but none from 10:20 to 10:30 (a gap); device
    4242 of organization 5 goes Down at 10:05:00 and Up at 10:07:30; a window covers it
    from 10:40 to 10:50 (kept at midnight); the report's now is noon."""
    settings.POLL_INTERVAL_SECONDS = 30
    monkeypatch.setattr(uptime, "now", lambda: NOW)
    ten = DAY + timedelta(hours=10)
    seen = {
        ten + timedelta(minutes=5, seconds=30): [
            change(DEVICE, ten + timedelta(minutes=5), "Down")
        ],
        ten + timedelta(minutes=8): [change(DEVICE, ten + timedelta(minutes=7, seconds=30), "Up")],
    }
    for step in range(0, 121):
        at = ten + timedelta(seconds=30 * step)
        if ten + timedelta(minutes=20) < at < ten + timedelta(minutes=30):
            continue
        poll(at, transitions=seen.get(at, ()))
    MaintenanceWindow.objects.create(
        organization_id=ORG_A,
        device_ids=[DEVICE],
        reason='=HYPERLINK("http://evil")',
        starts_at=ten + timedelta(minutes=40),
        ends_at=ten + timedelta(minutes=50),
        created_at=DAY,  # kept that morning, before it began (a window counts from then)
    )
    return ten


def query(**extra):
    return {"organization": ORG_A, "period": "day", "day": "2026-03-02", **extra}
