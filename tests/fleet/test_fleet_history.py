"""Status history: transitions per poll, flapping devices, Up/Down series per organization."""

from datetime import UTC, datetime, timedelta

from fleet import polling
from fleet.store.history import Transition
from fleet.store.queries import DeviceQuery
from tests.fixtures.simulator import TENANT_ORGS


def _poll(model, api_factory, poll_config, mode):
    return polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode=mode)


def _an_up_device(model, org_ids=None):
    return model.query(DeviceQuery(status=True, limit=1), org_ids).items[0]


def test_a_full_poll_records_the_transitions_it_observed(
    model, api_factory, poll_config, still_fleet
):
    _poll(model, api_factory, poll_config, polling.FULL)
    device = _an_up_device(model)
    since = datetime.now(UTC) - timedelta(seconds=1)
    still_fleet.set_status(device.id, up=False)

    _poll(model, api_factory, poll_config, polling.FULL)

    found = model.transitions_since(since)
    assert [(t.device_id, t.from_status, t.to_status) for t in found] == [(device.id, "Up", "Down")]
    assert found[0].organization_id == device.organization_id


def test_a_device_history_lists_its_own_transitions(model, api_factory, poll_config, still_fleet):
    _poll(model, api_factory, poll_config, polling.FULL)
    device = _an_up_device(model)
    since = datetime.now(UTC) - timedelta(seconds=1)
    still_fleet.set_status(device.id, up=False)
    _poll(model, api_factory, poll_config, polling.INCREMENTAL)
    still_fleet.set_status(device.id, up=True)
    _poll(model, api_factory, poll_config, polling.INCREMENTAL)

    found = model.transitions_since(since, device_id=device.id)

    assert [(t.from_status, t.to_status) for t in found] == [("Up", "Down"), ("Down", "Up")]


def test_flapping_devices_are_those_with_many_recent_transitions(
    model, api_factory, poll_config, still_fleet
):
    _poll(model, api_factory, poll_config, polling.FULL)
    flapper, steady = model.query(DeviceQuery(status=True, limit=2), None).items
    still_fleet.set_status(steady.id, up=False)
    for up in (False, True, False, True):
        still_fleet.set_status(flapper.id, up=up)
        _poll(model, api_factory, poll_config, polling.INCREMENTAL)

    flapping = model.flapping_devices(now=datetime.now(UTC), min_transitions=4)

    assert [(f.device_id, f.transitions) for f in flapping] == [(flapper.id, 4)]


def test_a_tenant_sees_only_its_organizations_history(model, api_factory, poll_config, still_fleet):
    _poll(model, api_factory, poll_config, polling.FULL)
    inside = _an_up_device(model, TENANT_ORGS)
    outside = next(
        d
        for d in model.query(DeviceQuery(status=True, limit=100), None).items
        if d.organization_id not in TENANT_ORGS
    )
    since = datetime.now(UTC) - timedelta(seconds=1)
    still_fleet.set_status(inside.id, up=False)
    still_fleet.set_status(outside.id, up=False)
    _poll(model, api_factory, poll_config, polling.INCREMENTAL)

    tenant = model.transitions_since(since, org_ids=TENANT_ORGS)
    hidden = model.transitions_since(since, device_id=outside.id, org_ids=TENANT_ORGS)

    assert [t.device_id for t in tenant] == [inside.id]
    assert hidden == []


def test_each_poll_adds_an_up_down_point_per_organization(
    model, api_factory, poll_config, still_fleet
):
    since = datetime.now(UTC) - timedelta(seconds=1)
    _poll(model, api_factory, poll_config, polling.FULL)
    device = _an_up_device(model)
    org = device.organization_id
    before = model.query(DeviceQuery(organization=org, limit=1), None).counts
    still_fleet.set_status(device.id, up=False)
    _poll(model, api_factory, poll_config, polling.INCREMENTAL)

    series = model.org_counts_series(since=since, until=datetime.now(UTC), org_ids=frozenset({org}))

    points = [(p.up, p.down) for p in series[org]]
    assert points == [
        (before["up"], before["down"]),
        (before["up"] - 1, before["down"] + 1),
    ]


def test_the_whole_fleet_series_sums_every_organization(
    model, api_factory, poll_config, still_fleet
):
    since = datetime.now(UTC) - timedelta(seconds=1)
    _poll(model, api_factory, poll_config, polling.FULL)

    series = model.org_counts_series(since=since, until=datetime.now(UTC), org_ids=None)

    counts = model.query(DeviceQuery(limit=1), None).counts
    assert [(p.up, p.down) for p in series["all"]] == [(counts["up"], counts["down"])]
    assert sum(points[0].up for org, points in series.items() if org != "all") == counts["up"]


def test_history_older_than_its_window_is_dropped(model):
    now = datetime.now(UTC)
    model.record_transitions([Transition(1001, 5, "Up", "Down", now)], now=now)

    later = now + model.history + timedelta(minutes=1)
    model.record_transitions([Transition(1001, 5, "Down", "Up", later)], now=later)

    timeline = model.transitions_since(now - timedelta(days=1))
    own = model.transitions_since(now - timedelta(days=1), device_id=1001)
    assert [(t.from_status, t.at) for t in timeline] == [("Down", later)]
    assert [(t.from_status, t.at) for t in own] == [("Down", later)]


def test_a_quiet_devices_history_expires_by_itself(model):
    now = datetime.now(UTC)
    model.record_transitions([Transition(1001, 5, "Up", "Down", now)], now=now)

    ttl = model.client.ttl(model.keys.device_history(1001))
    assert 0 < ttl <= model.history.total_seconds()


def test_a_timeline_longer_than_one_read_is_read_whole_and_once(model):
    """The timeline is read a chunk per command (a busy hour in one command would hold
    Redis): across the chunks' edges, inside one poll's entries too, nothing is skipped or
    read twice."""
    model.timeline.read_chunk = 7
    now = datetime.now(UTC)
    for poll in range(3):  # 3 polls of 10 changes: every device changes 3 times (flapping)
        at = now - timedelta(minutes=30 - poll)
        was, then = ("Up", "Down") if poll % 2 == 0 else ("Down", "Up")
        changes = [Transition(d, 5 if d % 2 == 0 else 7, was, then, at) for d in range(1, 11)]
        model.record_transitions(changes, now=at)

    timeline = model.transitions_since(now - timedelta(hours=1))
    flapping = model.flapping_devices(now=now)
    in_five = model.flapping_devices(now=now, org_ids=frozenset({5}))

    assert len(timeline) == 30
    assert sorted((t.device_id, t.at) for t in timeline) == sorted(
        (d, now - timedelta(minutes=30 - poll)) for d in range(1, 11) for poll in range(3)
    )
    assert [(f.device_id, f.transitions) for f in flapping] == [(d, 3) for d in range(1, 11)]
    assert [f.device_id for f in in_five] == [2, 4, 6, 8, 10]
    assert {f.organization_id for f in in_five} == {5}
