"""The plan of a list query: chosen in Python (checked here without reading Redis), and
each plan's script run against real Redis on a small fleet written by hand."""

from datetime import UTC, datetime, timedelta

import pytest

from controlapi.records import Device
from fleet.store.current import SnapshotInfo
from fleet.store.indexes import status_range
from fleet.store.keys import Keys
from fleet.store.queries import SCAN_BUDGET, DeviceQuery, plan_query
from fleet.store.values import digest

T0 = datetime(2026, 1, 1, tzinfo=UTC)
INFO = SnapshotInfo(generation=7, version=3, as_of=T0, full_as_of=T0, devices=60)
KEYS = Keys("p:")


def _plan(org_ids=None, **query):
    return plan_query(DeviceQuery(**query), org_ids, INFO, KEYS, result_ttl_ms=1000)


# --- the choice of plan (no Redis read) ----------------------------------------------


def test_no_filter_pages_the_sort_index_itself():
    plan = _plan(sort="last_connection", offset=20, limit=10, descending=True)

    assert plan.script == "page_index"
    assert plan.keys[0] == plan.sort_key == KEYS.sort(7, "last_connection")
    assert plan.args == {"first": 20, "last": 29, "descending": True, "status": ""}
    assert not plan.scope and not plan.search and not plan.built_sort


@pytest.mark.parametrize("sort", ["name", "status"])
@pytest.mark.parametrize("status", [True, False])
def test_one_status_in_name_order_is_a_score_range_of_the_status_index(sort, status):
    plan = _plan(status=status, sort=sort)

    assert plan.script == "page_range"
    assert plan.keys == (KEYS.sort(7, "status"), KEYS.dev(7))
    low, high = status_range(status)
    assert (plan.args["low"], plan.args["high"]) == (low, high)
    assert plan.args["status"] == ("up" if status else "down")


def test_one_status_in_another_order_is_filtered():
    plan = _plan(status=False, sort="status_change")

    assert plan.script == "page_filtered"
    assert plan.keys[7:] == (KEYS.status(7, False),)
    assert plan.args["cells"] == {"orgs": "*", "type": "*", "pending": "*"}


def test_filters_on_plain_sets_may_walk_and_count_from_the_cells():
    plan = _plan(organization=4, type=11, pending_only=True)

    assert plan.script == "page_filtered"
    assert plan.keys[4] == plan.sort_key == KEYS.sort(7, "name")
    assert plan.keys[7:] == (KEYS.org(7, 4), KEYS.type(7, 11), KEYS.pending(7))
    assert plan.args["walk"] == SCAN_BUDGET
    assert plan.args["cells"] == {"orgs": ["4"], "type": "11", "pending": "1"}
    assert plan.args["since"] == ""


def test_a_search_neither_walks_nor_counts_from_the_cells():
    plan = _plan(search="  Router\tOne ")

    assert plan.script == "page_filtered"
    assert plan.search == "router one"
    assert plan.keys[7:] == (KEYS.search(7, 3, digest("router one")),)
    assert plan.args["walk"] == 0
    assert plan.args["cells"] is False


def test_a_changed_since_window_is_the_last_filter_with_its_score():
    since = T0 + timedelta(minutes=5)

    plan = _plan(status=True, changed_since=since)

    assert plan.script == "page_filtered"
    assert plan.args["since"] == repr(since.timestamp())
    assert plan.keys[-1] == KEYS.since(7, 3, repr(since.timestamp()))
    assert plan.args["walk"] == 0


def test_a_tenant_of_several_organizations_filters_by_their_union():
    plan = _plan(frozenset({7, 5}))

    assert plan.scope == (5, 7)
    assert plan.keys[7:] == (KEYS.scope(7, 3, [5, 7]),)
    assert plan.args["cells"]["orgs"] == ["5", "7"]


def test_a_tenant_of_one_organization_filters_by_its_set():
    plan = _plan(frozenset({5, 7}), organization=7)

    assert plan.scope == ()
    assert plan.keys[7:] == (KEYS.org(7, 7),)


def test_an_organization_outside_the_tenant_has_no_plan():
    assert _plan(frozenset({5, 7}), organization=9) is None


def test_a_built_sort_pages_its_own_index_named_by_the_sort_version():
    plan = _plan(sort="organization", organization_order=(3, 1))
    other_order = _plan(sort="organization", organization_order=(1, 3))

    assert plan.script == "page_index"
    assert plan.built_sort
    assert plan.sort_key.startswith(KEYS.built_sort(7, 0, "organization"))
    assert plan.sort_key != other_order.sort_key


def test_every_argument_is_named():
    plans = [_plan(), _plan(status=True), _plan(type=3, search="x")]

    for plan in plans:
        assert isinstance(plan.args, dict)
        assert {"first", "last", "descending", "status"} <= set(plan.args)


# --- each plan against Redis -------------------------------------------------------


def _devices():
    return [
        Device(
            id=i,
            name=f"dev-{i:03}",
            status="Up" if i % 3 else "Down",
            organization_id=i % 4 + 1,
            type=10 + i % 2,
            serial_number=f"SN{i}",
            status_change=T0 + timedelta(minutes=i),
            last_connection=T0 + timedelta(minutes=60 - i),
        )
        for i in range(1, 61)
    ]


@pytest.fixture
def small_fleet(model):
    devices = _devices()
    builder = model.new_snapshot(T0, abandon_after=timedelta(minutes=5))
    builder.add([d.to_cache() for d in devices[:30]])
    builder.add([d.to_cache() for d in devices[30:]])
    builder.publish()
    return devices


def _expect(devices, keep, key, q):
    found = sorted((d for d in devices if keep(d)), key=key, reverse=q.descending)
    return [d.id for d in found[q.offset : q.offset + q.limit]], found


def _check(model, devices, q, keep, key, script, org_ids=None):
    assert plan_query(q, org_ids, model.snapshot_info(), model.keys, result_ttl_ms=1).script == (
        script
    )
    page = model.query(q, org_ids)
    ids, found = _expect(devices, keep, key, q)
    assert [d.id for d in page.items] == ids
    assert page.total == len(found)
    up = sum(1 for d in found if d.status == "Up")
    assert page.counts == {"up": up, "down": len(found) - up}


def _by_name(d):
    return (d.name.casefold(), d.id)


def test_the_index_plan_against_redis(model, small_fleet):
    q = DeviceQuery(sort="last_connection", offset=5, limit=10, descending=True)

    _check(model, small_fleet, q, lambda d: True, lambda d: d.last_connection, "page_index")


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("status", [True, False])
def test_the_range_plan_against_redis(model, small_fleet, status, descending):
    q = DeviceQuery(status=status, offset=3, limit=7, descending=descending)

    def keep(d):
        return (d.status == "Up") == status

    _check(model, small_fleet, q, keep, _by_name, "page_range")


@pytest.mark.parametrize("offset", [0, 12])
def test_the_filtered_plan_against_redis(model, small_fleet, offset):
    q = DeviceQuery(organization=2, type=11, sort="status_change", offset=offset, limit=5)

    def keep(d):
        return d.organization_id == 2 and d.type == 11

    for _ in range(2):  # built, then from the cached result
        _check(model, small_fleet, q, keep, lambda d: d.status_change, "page_filtered")


def test_the_filtered_plan_with_a_search_and_a_window_against_redis(model, small_fleet):
    since = T0 + timedelta(minutes=15)
    q = DeviceQuery(search="DEV-01", changed_since=since, limit=50)

    def keep(d):
        return "dev-01" in d.name and d.status_change >= since

    _check(model, small_fleet, q, keep, _by_name, "page_filtered")


def test_the_filtered_plan_within_a_tenant_against_redis(model, small_fleet):
    q = DeviceQuery(status=False, sort="status", limit=50)

    def keep(d):
        return d.organization_id in (1, 2) and d.status == "Down"

    _check(model, small_fleet, q, keep, _by_name, "page_filtered", frozenset({1, 2}))


def test_a_built_sort_against_redis(model, small_fleet):
    q = DeviceQuery(sort="serial", offset=10, limit=10)

    def key(d):
        return (d.serial_number.casefold(), d.name.casefold(), d.id)

    _check(model, small_fleet, q, lambda d: True, key, "page_index")
