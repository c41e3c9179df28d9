"""A window's next occurrence and state, its checks in words, and the one open record
window per device."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import IntegrityError

from maintenance_windows import services
from maintenance_windows.models import MaintenanceWindow
from tests.maintenance_windows.windows import T0, window

pytestmark = pytest.mark.django_db


def test_the_next_start_of_a_weekly_window_is_on_its_next_weekday_in_its_zone():
    # Fridays 22:00 in Madrid (UTC+1 in December) is 21:00 UTC.
    w = window(
        recurrence="weekly",
        weekdays=[4],
        local_start=time(22),
        duration_minutes=60,
        time_zone="Europe/Madrid",
    )
    assert w.next_start(T0) == datetime(2026, 12, 11, 21, tzinfo=UTC)
    assert services.state(w, T0) == services.UPCOMING
    assert services.state(w, datetime(2026, 12, 11, 21, 30, tzinfo=UTC)) == services.IN_FORCE
    w.ends_at = datetime(2026, 12, 11, 20, tzinfo=UTC)  # until: before that Friday
    assert w.next_start(T0) is None and services.state(w, T0) == services.ENDED


def test_a_one_off_window_is_upcoming_then_in_force_then_ended():
    w = window(ends_at=T0 + timedelta(hours=1))
    assert services.state(w, T0 - timedelta(minutes=1)) == services.UPCOMING
    assert services.state(w, T0) == services.IN_FORCE
    assert services.state(w, T0 + timedelta(hours=1)) == services.ENDED
    w.ended_at = T0 - timedelta(hours=1)  # ended by hand before it began
    assert services.state(w, T0 - timedelta(minutes=1)) == services.ENDED


def test_problems_are_said_by_field():
    spec = services.WindowSpec(
        organization_id=5,
        reason=" ",
        starts_at=T0,
        recurrence="weekly",
        local_start=None,
        duration_minutes=3 * 24 * 60 * 7,
        time_zone="UTC",
    )
    found = services.problems(spec, T0)
    assert set(found) == {"reason", "weekdays", "local_start", "duration_minutes"}
    assert found["duration_minutes"] == [
        "Occurrences every week are at most 168 hours apart: a window of 504 h would overlap "
        "the next one. At most 168 h (10080 minutes)."
    ]


def test_one_open_record_window_per_device_is_kept_by_the_database():
    services.sync_record_window(
        device_id=9, organization_id=5, status="maintenance", notes="", user=None, now=T0
    )
    services.sync_record_window(
        device_id=9, organization_id=5, status="maintenance", notes="new notes", user=None, now=T0
    )
    kept = MaintenanceWindow.objects.get()
    assert kept.reason == "new notes" and kept.record_device_id == 9
    with pytest.raises(IntegrityError):
        MaintenanceWindow.objects.create(
            organization_id=5, reason="x", starts_at=T0, source="record", record_device_id=9
        )
