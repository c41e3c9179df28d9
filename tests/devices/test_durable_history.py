"""The durable status history: what each poll saw is kept in PostgreSQL as well as Redis,
survives the loss of Redis's copy, and is pruned past its retention in batches."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import OrgScope
from devices import history_selectors, history_store, overview, tasks
from devices.history_models import CountPoint, Seen, StatusChange
from fleet.store.history import Transition
from tests.fixtures.users import ORG_A

pytestmark = pytest.mark.django_db

# Up in the simulator's fleet (seed 1) until a test takes it Down.
DEVICE = 1001


@pytest.fixture
def went_down(model, still_fleet, cache_settings):
    """A full poll, the device taken Down, an incremental poll that sees it (as beat runs them)."""
    tasks.poll_fleet.apply().get()
    assert model.get_device(DEVICE).device.is_up
    still_fleet.set_status(DEVICE, up=False)
    tasks.poll_fleet.apply().get()
    assert not model.get_device(DEVICE).device.is_up
    return still_fleet


def _forget_redis(redis_client, key_prefix):
    """Every key of the read model gone, as after a Redis restart with nothing on disk."""
    for key in redis_client.scan_iter(match=key_prefix + "*", count=1000):
        redis_client.delete(key)


def test_each_poll_keeps_its_transitions_and_counts_in_the_database(went_down, model):
    change = StatusChange.objects.get(device_id=DEVICE)
    assert (change.from_status, change.to_status) == ("Up", "Down")
    assert change.seen_by == Seen.INCREMENTAL
    assert change.organization_id == model.get_device(DEVICE).device.organization_id
    # One fleet-wide point per poll, as Redis keeps them: the first full, the second incremental.
    fleet = CountPoint.objects.filter(organization_id__isnull=True).order_by("at")
    assert [p.seen_by for p in fleet] == [Seen.FULL, Seen.INCREMENTAL]
    assert change.poll_at == fleet[1].at
    now_counts = model.current_org_counts()
    assert fleet[1].down == sum(down for _, down in now_counts.values())
    for org, (up, down) in now_counts.items():
        point = CountPoint.objects.filter(organization_id=org).latest("at")
        assert (point.up, point.down) == (up, down)


def test_a_poll_written_twice_keeps_one_row_of_each(went_down):
    change = StatusChange.objects.get(device_id=DEVICE)
    points = CountPoint.objects.filter(at=change.poll_at)
    again = Transition(
        change.device_id, change.organization_id, change.from_status, change.to_status, change.at
    )
    counts = {p.organization_id: (p.up, p.down) for p in points if p.organization_id}

    # What a redelivered task would write again.
    history_store.record_poll(
        seen_by=Seen.INCREMENTAL, at=change.poll_at, transitions=[again], org_counts=counts
    )

    assert StatusChange.objects.filter(device_id=DEVICE).count() == 1
    assert CountPoint.objects.filter(at=change.poll_at).count() == len(counts) + 1


def test_a_refresh_keeps_the_change_it_saw(model, still_fleet, cache_settings):
    tasks.poll_fleet.apply().get()
    still_fleet.set_status(DEVICE, up=False)

    tasks.refresh_device.apply(args=[DEVICE]).get()

    change = StatusChange.objects.get(device_id=DEVICE)
    assert (change.to_status, change.seen_by) == ("Down", Seen.REFRESH)


def test_losing_redis_loses_no_history(went_down, model, redis_client, key_prefix, noc):
    since = datetime.now(UTC) - timedelta(hours=1)
    first_poll = CountPoint.objects.order_by("at").first().at

    _forget_redis(redis_client, key_prefix)
    tasks.poll_fleet.apply().get()  # the next poll after the restart: a full one again

    # Redis itself holds only the poll since the loss.
    kept_in_redis = model.org_counts_series(since=since, until=datetime.now(UTC), org_ids=None)
    assert len(kept_in_redis["all"]) == 1
    series = history_selectors.org_counts_series(org_ids=None, since=since)
    assert len(series.items["all"]) == 3
    assert series.kept_since == first_poll
    changes = history_selectors.transitions(org_ids=None, since=since, device_id=DEVICE)
    assert [(t.device_id, t.to_status) for t in changes.items] == [(DEVICE, "Down")]
    fleet = overview.fleet_overview(OrgScope(all=True), now=datetime.now(UTC))
    assert [chart.points for _, chart in fleet.charts] == [3, 3]
    assert fleet.history_since == first_poll


def test_the_overview_says_from_when_history_is_kept(went_down, client_of, noc):
    content = client_of(noc).get("/").content.decode()

    assert "History kept since" in content


def test_the_series_come_from_the_database_while_redis_is_down(went_down, redis_down):
    series = history_selectors.org_counts_series(
        org_ids=frozenset({ORG_A}), since=datetime.now(UTC) - timedelta(hours=1)
    )

    assert series.error is None
    assert set(series.items) == {ORG_A}
    assert len(series.items[ORG_A]) == 2


def test_a_tenant_reads_only_its_organizations_points(went_down, redis_client, key_prefix):
    _forget_redis(redis_client, key_prefix)

    series = history_selectors.org_counts_series(
        org_ids=frozenset({ORG_A}), since=datetime.now(UTC) - timedelta(hours=1)
    )

    assert set(series.items) == {ORG_A}
    expected = CountPoint.objects.filter(organization_id=ORG_A).order_by("at")
    assert [(p.up, p.down) for p in series.items[ORG_A]] == [(p.up, p.down) for p in expected]


def _rows(ages_in_days, now):
    StatusChange.objects.bulk_create(
        StatusChange(
            device_id=n,
            organization_id=1,
            from_status="Up",
            to_status="Down",
            at=now - timedelta(days=age),
            seen_by=Seen.FULL,
            poll_at=now - timedelta(days=age),
        )  # fmt: skip
        for n, age in enumerate(ages_in_days)
    )
    CountPoint.objects.bulk_create(
        CountPoint(organization_id=1, at=now - timedelta(days=age), up=1, down=0, seen_by="full")
        for age in ages_in_days
    )


def test_pruning_removes_only_rows_past_the_retention_in_batches():
    now = datetime.now(UTC)
    _rows([401, 402, 403, 500, 600, 700, 800, 399, 10, 0], now)

    with CaptureQueriesContext(connection) as queries:
        deleted = history_store.prune(older_than=now - timedelta(days=400), batch=3)

    assert deleted == 14  # 7 transitions and 7 count points
    kept = sorted((now - c.at).days for c in StatusChange.objects.all())
    assert kept == [0, 10, 399]
    assert sorted((now - p.at).days for p in CountPoint.objects.all()) == [0, 10, 399]
    # Batches of 3: 3 + 3 + 1 rows, three statements per table.
    assert sum(q["sql"].startswith("DELETE") for q in queries.captured_queries) == 6


def test_the_beat_task_prunes_by_the_configured_retention(settings):
    now = datetime.now(UTC)
    _rows([31, 29], now)
    settings.HISTORY_RETENTION_DAYS = 30

    tasks.prune_history.apply().get()

    assert [(now - c.at).days for c in StatusChange.objects.all()] == [29]
    assert "prune-history" in settings.CELERY_BEAT_SCHEDULE


def test_the_device_timeline_lists_its_status_changes_after_redis_lost_them(
    went_down, redis_client, key_prefix, client_of, noc
):
    _forget_redis(redis_client, key_prefix)
    tasks.poll_fleet.apply().get()

    part = client_of(noc).get(f"/devices/{DEVICE}/timeline/", kind="status", HTTP_HX_REQUEST="true")

    content = part.content.decode()
    assert part.status_code == 200
    assert "Up → Down" in content
    kept = CountPoint.objects.order_by("at").first().at
    assert f"kept since {kept:%Y-%m-%d %H:%M}" in content


def _flap(still_fleet):
    """Up again, then Down again: three transitions with the first. The upstream times a
    change to the second, and two changes to one status in one second are kept once."""
    for up in (True, False):
        time.sleep(1.05)
        still_fleet.set_status(DEVICE, up=up)
        tasks.poll_fleet.apply().get()


def test_a_device_flapping_before_redis_lost_its_history_is_still_flapping(
    went_down, model, redis_client, key_prefix, client_of, noc
):
    _flap(went_down)

    # A Redis restart with nothing on disk, then the next poll rebuilds the fleet.
    _forget_redis(redis_client, key_prefix)
    tasks.poll_fleet.apply().get()

    assert model.flapping_devices(now=datetime.now(UTC)) == []  # Redis's copy starts afresh
    flapping = history_selectors.flapping_devices(org_ids=None)
    assert [(f.device_id, f.transitions) for f in flapping.items] == [(DEVICE, 3)]
    content = client_of(noc).get("/triage/").content.decode()
    listed = re.search(r'data-kind="flapping">(.*?)</table>', content, re.S)
    assert listed and f'data-device-id="{DEVICE}"' in listed.group(1)


def test_flapping_is_read_from_redis_where_the_database_lacks_rows(went_down, model):
    _flap(went_down)
    StatusChange.objects.all().delete()  # rows the database lost (or never got)

    flapping = history_selectors.flapping_devices(org_ids=None)

    assert [(f.device_id, f.transitions) for f in flapping.items] == [(DEVICE, 3)]
