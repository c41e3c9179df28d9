"""A report's range and buckets in the display zone, the windows' occurrences inside a
range, and the bound on a report's reads (one query per source, whatever the devices)."""

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from devices import history_store
from fleet.store.history import Transition
from maintenance_windows.models import MaintenanceWindow
from reports import periods, sources, uptime
from reports.availability import Change, Span
from tests.fixtures.users import ORG_A

BOGOTA = ZoneInfo("America/Bogota")


def test_a_week_runs_monday_to_sunday_in_the_display_zone():
    period = periods.period_of(periods.WEEK, date(2026, 3, 4), None, BOGOTA)
    assert (period.first_day, period.last_day) == (date(2026, 3, 2), date(2026, 3, 8))
    assert period.start == datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
    assert len(period.bucket_edges()) == 8


def test_a_month_is_its_calendar_month_with_a_bucket_a_day():
    period = periods.period_of(periods.MONTH, date(2024, 2, 10), None, UTC)
    assert (period.first_day, period.last_day) == (date(2024, 2, 1), date(2024, 2, 29))
    assert len(period.bucket_edges()) == 30


def test_a_day_when_the_clocks_go_back_has_25_hours_and_buckets():
    period = periods.period_of(periods.DAY, date(2026, 10, 25), None, ZoneInfo("Europe/Madrid"))
    edges = period.bucket_edges()
    assert period.end - period.start == timedelta(hours=25)
    assert len(edges) == 26
    assert all(b - a == timedelta(hours=1) for a, b in zip(edges, edges[1:], strict=False))


def test_a_day_has_an_hour_a_bucket():
    period = periods.period_of(periods.DAY, date(2026, 3, 4), None, UTC)
    assert len(period.bucket_edges()) == 25
    assert period.end - period.start == timedelta(days=1)


@pytest.mark.parametrize(
    ("first", "last", "words"),
    [
        (date(2026, 3, 4), None, "Choose the last day"),
        (date(2026, 3, 4), date(2026, 3, 1), "before the first"),
        (date(2024, 1, 1), date(2026, 3, 1), "at most 400 days"),
    ],
)
def test_a_custom_range_is_checked_in_words(first, last, words):
    with pytest.raises(ValueError, match=words):
        periods.period_of(periods.CUSTOM, first, last, UTC)


def test_a_daily_windows_occurrences_inside_a_range_are_cut_to_it(db):
    window = MaintenanceWindow(
        organization_id=ORG_A,
        reason="nightly",
        starts_at=datetime(2026, 1, 1, tzinfo=UTC),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        recurrence=MaintenanceWindow.Recurrence.DAILY,
        local_start=time(23, 0),
        duration_minutes=120,
    )
    start, end = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 4, tzinfo=UTC)
    found = sources.occurrences(window, start=start, end=end, now=end)
    assert found == [
        Span(start, start + timedelta(hours=1)),  # began the evening before the range
        Span(datetime(2026, 3, 2, 23, tzinfo=UTC), datetime(2026, 3, 3, 1, tzinfo=UTC)),
        Span(datetime(2026, 3, 3, 23, tzinfo=UTC), end),
    ]


def test_an_open_record_window_runs_until_now(db):
    window = MaintenanceWindow(
        organization_id=ORG_A,
        reason="record",
        source=MaintenanceWindow.Source.RECORD,  # counts from its start (its record's save)
        starts_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    start, end = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)
    now = start + timedelta(hours=5)
    assert sources.occurrences(window, start=start, end=end, now=now) == [Span(start, now)]


def _history(devices: int, at: datetime) -> None:
    for step in range(10):
        moment = at + timedelta(seconds=30 * step)
        changes = [
            Transition(d, ORG_A, "Up", "Down", moment) for d in range(1, devices + 1) if step == 3
        ]
        history_store.record_poll(
            seen_by="incremental", at=moment, transitions=changes, org_counts={ORG_A: (1, 0)}
        )


@pytest.mark.parametrize("devices", [2, 40])
def test_an_organization_report_reads_each_source_once_whatever_its_devices(
    db, settings, key_prefix, devices, monkeypatch
):
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    monkeypatch.setattr(uptime, "now", lambda: at + timedelta(hours=1))
    _history(devices, at)
    period = periods.period_of(periods.DAY, at.date(), None, UTC)
    with CaptureQueriesContext(connection) as queries:
        report = uptime.build(period=period, organization_id=ORG_A)
    assert len(report.devices) == devices
    # polls (in range, before, after), changes (in range, last before), windows, history start
    assert len(queries) == 7


def test_past_the_bound_a_report_asks_for_a_shorter_range(
    db, settings, key_prefix, client_of, tenant_admin, monkeypatch
):
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    _history(3, at)
    monkeypatch.setattr(sources, "MAX_CHANGES", 2)
    query = {"organization": ORG_A, "period": "day", "day": "2026-03-02"}
    page = client_of(tenant_admin).get("/reports/", query)
    assert page.status_code == 200
    assert "choose a shorter range or one device" in page.content.decode()
    assert client_of(tenant_admin).get("/reports/export.csv", query).status_code == 400


def test_the_last_change_before_a_range_is_each_devices_newest_in_the_organization(db):
    """Against a plain reading of the rows: devices that changed organization, changes at
    one instant, changes after the range's start, devices with none before it."""
    from devices.history_models import StatusChange

    rng = random.Random(3)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    rows = {}
    for device in range(1, 80):
        for _ in range(rng.randint(0, 6)):
            at = start + timedelta(days=rng.randint(-300, 20), seconds=rng.randint(0, 2))
            to = rng.choice(["Up", "Down"])
            rows[(device, at, to)] = rng.choice([ORG_A, ORG_A, ORG_A, ORG_A + 100])
    StatusChange.objects.bulk_create(
        StatusChange(device_id=device, organization_id=org, at=at, to_status=to,
                     from_status="Down" if to == "Up" else "Up", seen_by="full", poll_at=at)
        for (device, at, to), org in rows.items()
    )  # fmt: skip
    expected = {}
    for row in StatusChange.objects.order_by("at", "id"):
        if row.organization_id == ORG_A and row.at < start:
            expected[row.device_id] = [Change(row.at, row.from_status, row.to_status)]

    found, organizations = sources.status_changes(start=start, end=start, organization_id=ORG_A)

    assert found == expected
    assert set(organizations.values()) == {ORG_A}
    for device in list(expected)[:5]:  # one device's report reads the same
        alone, _ = sources.status_changes(
            start=start, end=start, organization_id=ORG_A, device_id=device
        )
        assert alone == {device: expected[device]}
