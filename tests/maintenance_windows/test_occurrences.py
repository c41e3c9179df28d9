"""When a window is in force: one-off, daily and weekly in its own time zone, ended by hand."""

from datetime import UTC, datetime, time, timedelta

import pytest

from controlapi.records import Device
from maintenance_windows.in_force import in_maintenance_ids, windows_in_force
from tests.maintenance_windows.windows import T0, window

pytestmark = pytest.mark.django_db


def test_one_off_from_start_to_end_and_not_after_an_end_by_hand():
    w = window(ends_at=T0 + timedelta(hours=2))
    assert not w.is_active(T0 - timedelta(seconds=1))
    assert w.occurrence_at(T0 + timedelta(hours=1)) == (T0, T0 + timedelta(hours=2))
    assert not w.is_active(T0 + timedelta(hours=2))
    w.ended_at = T0 + timedelta(minutes=30)
    assert w.occurrence_at(T0 + timedelta(minutes=10)) == (T0, T0 + timedelta(minutes=30))
    assert not w.is_active(T0 + timedelta(minutes=40))


def test_daily_in_local_time_across_midnight():
    # 23:00 to 01:00 in Bogotá (UTC-5) is 04:00 to 06:00 UTC.
    w = window(
        recurrence="daily", local_start=time(23), duration_minutes=120, time_zone="America/Bogota"
    )
    day2 = datetime(2026, 12, 9, tzinfo=UTC)
    assert w.occurrence_at(day2 + timedelta(hours=5)) == (
        day2 + timedelta(hours=4),
        day2 + timedelta(hours=6),
    )
    assert not w.is_active(day2 + timedelta(hours=6, minutes=1))
    assert not w.is_active(T0 - timedelta(days=1, hours=-17))  # before the window began


def test_weekly_on_its_weekdays_only():
    w = window(
        recurrence="weekly", weekdays=[2], local_start=time(2), duration_minutes=60
    )  # Wednesdays
    assert w.is_active(datetime(2026, 12, 9, 2, 30, tzinfo=UTC))
    assert not w.is_active(datetime(2026, 12, 10, 2, 30, tzinfo=UTC))


def test_in_force_covers_the_selected_devices_of_the_organization():
    window(ends_at=T0 + timedelta(hours=1), device_ids=[1])
    window(ends_at=T0 + timedelta(hours=1), organization_id=6)
    window(ends_at=T0 + timedelta(minutes=5), pattern="usaquen")  # over by then
    now = T0 + timedelta(minutes=30)
    assert len(windows_in_force(now)) == 2 and len(windows_in_force(now, [5])) == 1
    fleet = [
        Device(id=1, organization_id=5),
        Device(id=2, organization_id=5, name="usaquen"),
        Device(id=3, organization_id=6),
    ]
    assert in_maintenance_ids(fleet, now) == {1, 3}
