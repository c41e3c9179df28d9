"""The plan of a list query: chosen in Python (checked here without reading Redis), and
each plan's script run against real Redis on a small fleet written by hand."""

from datetime import UTC, datetime, timedelta

import pytest

from controlapi.records import Device
from fleet.store import queries
from fleet.store.current import SnapshotInfo
from fleet.store.indexes import status_range
from fleet.store.keys import Keys
from fleet.store.queries import (
    MIN_WALK_BUDGET,
    REPLAN,
    SCAN_BUDGET,
    DeviceQuery,
    FilteredFacts,
    FilteredPlan,
    choose_filtered_plan,
    plan_query,
    read_filtered_facts,
)
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


# --- the script of a filtered plan, from what Redis holds (no Redis read) ------------


def _choose(total=None, cached=False, sizes=(1000, 500), first=0, limit=50, walk=SCAN_BUDGET):
    facts = FilteredFacts(total, cached, sizes[0], tuple(sizes[1:]))
    return choose_filtered_plan(facts, first=first, limit=limit, walk=walk)


def test_counts_of_nothing_need_no_script():
    assert _choose(total=0, cached=False) == FilteredPlan(None)


@pytest.mark.parametrize("walk", [SCAN_BUDGET, 0])
def test_a_cached_result_is_paged(walk):
    assert _choose(total=12, cached=True, walk=walk) == FilteredPlan("page_cached")


def test_filters_matching_many_devices_walk_the_sort_index():
    # Half the fleet matches: a page of 50 needs about 100 candidates.
    chosen = _choose(sizes=(10_000, 5_000))

    assert chosen == FilteredPlan("page_walk", SCAN_BUDGET)


def test_the_walk_goes_no_further_than_the_smallest_filter_but_a_few_chunks():
    assert _choose(sizes=(100_000, 80_000, 3_000)).budget == 3_000
    assert _choose(sizes=(2_100, 1_000, 1_000)).budget == MIN_WALK_BUDGET


@pytest.mark.parametrize(
    "sizes, first",
    [
        ((10_000, 100), 0),  # 1 % matches: 5,000 candidates for one page
        ((10_000, 5_000, 300), 0),  # independent filters: 1.5 % matches
        ((10_000, 5_000), 4_000),  # a deep page
        ((10_000, 0), 0),  # an empty filter
    ],
)
def test_sparse_filters_or_deep_pages_materialise_the_intersection(sizes, first):
    assert _choose(sizes=sizes, first=first) == FilteredPlan("page_materialise")


def test_filters_that_cannot_be_walked_materialise_the_intersection():
    assert _choose(sizes=(10_000, 5_000), walk=0) == FilteredPlan("page_materialise")


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


# --- each filtered script against Redis ------------------------------------------


def _run(model, script, q, budget=0):
    """The reply of `script` for `q`, with its ids as ints (or REPLAN)."""
    plan = plan_query(q, None, model.snapshot_info(), model.keys, result_ttl_ms=60_000)
    reply = model.queries.scripts.call(script, list(plan.keys), {**plan.args, "budget": budget})
    if reply == REPLAN:
        return reply
    total, up, down, ids, _ = reply
    return total, {"up": up, "down": down}, [int(i) for i in ids]


def _facts(model, q):
    plan = plan_query(q, None, model.snapshot_info(), model.keys, result_ttl_ms=60_000)
    return read_filtered_facts(model.client, plan)


ORG_2_TYPE_11 = DeviceQuery(organization=2, type=11, sort="status_change", offset=3, limit=5)
_ORG_2_TYPE_11_RULES = (
    lambda d: d.organization_id == 2 and d.type == 11,
    lambda d: d.status_change,
)


def _org_2_type_11(devices):
    ids, found = _expect(devices, *_ORG_2_TYPE_11_RULES, ORG_2_TYPE_11)
    up = sum(1 for d in found if d.status == "Up")
    return len(found), {"up": up, "down": len(found) - up}, ids


def test_the_walk_script_against_redis(model, small_fleet):
    facts = _facts(model, ORG_2_TYPE_11)
    chosen = choose_filtered_plan(facts, first=3, limit=5, walk=SCAN_BUDGET)

    assert (facts.sort_size, facts.filter_sizes) == (60, (15, 30))
    assert chosen.script == "page_walk"
    assert _run(model, "page_walk", ORG_2_TYPE_11, chosen.budget) == _org_2_type_11(small_fleet)
    # Nothing materialised, but the counts are kept.
    assert _facts(model, ORG_2_TYPE_11) == FilteredFacts(15, False, 60, (15, 30))


def test_the_materialise_then_the_cached_script_against_redis(model, small_fleet):
    expected = _org_2_type_11(small_fleet)

    assert _run(model, "page_materialise", ORG_2_TYPE_11) == expected
    assert _facts(model, ORG_2_TYPE_11) == FilteredFacts(15, True, 60, (15, 30))
    assert _run(model, "page_cached", ORG_2_TYPE_11) == expected


def test_the_cached_script_against_redis_when_the_counts_expired_first(model, small_fleet):
    _run(model, "page_materialise", ORG_2_TYPE_11)
    plan = plan_query(ORG_2_TYPE_11, None, model.snapshot_info(), model.keys, result_ttl_ms=1)
    model.client.delete(plan.keys[1])

    assert _run(model, "page_cached", ORG_2_TYPE_11) == _org_2_type_11(small_fleet)
    assert _facts(model, ORG_2_TYPE_11).total == 15


def test_the_cached_script_replans_when_the_result_expired(model, small_fleet):
    assert _run(model, "page_cached", ORG_2_TYPE_11) == REPLAN


def test_the_materialise_script_with_an_empty_intersection_against_redis(model, small_fleet):
    q = DeviceQuery(organization=2, type=10)  # odd ids are organization 2 and type 11

    assert _run(model, "page_materialise", q) == (0, {"up": 0, "down": 0}, [])
    assert _facts(model, q) == FilteredFacts(0, False, 60, (15, 30))
    assert model.query(q, None).total == 0


def test_a_query_whose_cached_result_expired_after_the_read_materialises_it(
    model, small_fleet, monkeypatch
):
    monkeypatch.setattr(
        queries, "read_filtered_facts", lambda client, plan: FilteredFacts(None, True)
    )

    _check(model, small_fleet, ORG_2_TYPE_11, *_ORG_2_TYPE_11_RULES, "page_filtered")


@pytest.fixture
def sparse_fleet(model):
    """600 devices, the last 10 in name order in organization 2, the rest in 1."""
    devices = [
        Device(
            id=i,
            name=f"dev-{i:03}",
            status="Up" if i % 3 else "Down",
            organization_id=2 if i > 590 else 1,
            type=10,
            serial_number=f"SN{i}",
            status_change=T0,
            last_connection=T0,
        )
        for i in range(1, 601)
    ]
    builder = model.new_snapshot(T0, abandon_after=timedelta(minutes=5))
    builder.add([d.to_cache() for d in devices])
    builder.publish()
    return devices


def test_the_walk_script_replans_past_its_budget(model, sparse_fleet):
    q = DeviceQuery(organization=2, limit=5)

    # The first chunk of the sort index holds none of organization 2.
    assert _run(model, "page_walk", q, budget=256) == REPLAN
    assert _run(model, "page_walk", q, budget=SCAN_BUDGET) == (
        10,
        {"up": 6, "down": 4},
        [591, 592, 593, 594, 595],
    )


def test_a_query_whose_walk_passes_its_budget_materialises_the_intersection(
    model, sparse_fleet, monkeypatch
):
    monkeypatch.setattr(
        queries, "choose_filtered_plan", lambda facts, **_: FilteredPlan("page_walk", 256)
    )
    q = DeviceQuery(organization=2, offset=2, limit=5)

    _check(model, sparse_fleet, q, lambda d: d.organization_id == 2, _by_name, "page_filtered")
    assert _facts(model, q).cached
