"""List queries over the read model, checked against the simulator's own answers."""

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from controlapi import ControlAPI
from controlapi.records import PendingSetting
from fleet import polling
from fleet.store.queries import DeviceQuery
from tests.fixtures.simulator import ALL_TOKEN, TENANT_ORGS


@pytest.fixture
def cached_fleet(model, api_factory, poll_config, still_fleet, all_devices):
    """The fleet polled into the model; returns the simulator's devices at that moment."""
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    return all_devices()


@pytest.fixture
def upstream(simulator):
    with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
        yield api


def _everything(model, org_ids=None, **filters):
    return model.query(DeviceQuery(limit=500, **filters), org_ids)


def _upstream_ids(upstream, **filters):
    return {d.id for d in upstream.iter_devices(limit=100, **filters)}


def _ids(page):
    return {d.id for d in page.items}


@pytest.mark.parametrize("status", [True, False])
def test_status_filter_matches_the_upstream(model, cached_fleet, upstream, status):
    page = _everything(model, status=status)

    assert _ids(page) == _upstream_ids(upstream, status=status)


def test_organization_filter_matches_the_upstream(model, cached_fleet, upstream):
    organization = cached_fleet[0].organization_id

    page = _everything(model, organization=organization)

    assert page.total > 0
    assert _ids(page) == _upstream_ids(upstream, organization=organization)


def test_type_filter_matches_the_upstream(model, cached_fleet, upstream):
    type_id = cached_fleet[0].type

    page = _everything(model, type=type_id)

    assert page.total > 0
    assert _ids(page) == _upstream_ids(upstream, type=type_id)


def test_changed_since_filter_matches_the_upstream(model, cached_fleet, upstream):
    changes = sorted(d.status_change for d in cached_fleet if d.status_change)
    since = changes[len(changes) // 2]

    page = _everything(model, changed_since=since)

    assert 0 < page.total < len(cached_fleet)
    assert _ids(page) == _upstream_ids(upstream, last_status_change_from=since)


def test_changed_since_pages_and_counts_with_other_filters(model, cached_fleet):
    changes = sorted(d.status_change for d in cached_fleet if d.status_change)
    since = changes[len(changes) // 3]
    expected = sorted(
        (d for d in cached_fleet if d.status_change and d.status_change >= since and d.is_up),
        key=EXPECTED_ORDER["status_change"],
        reverse=True,
    )

    pages = [
        model.query(
            DeviceQuery(changed_since=since, status=True, sort="status_change",
                        descending=True, offset=offset, limit=10),
            None,
        )
        for offset in range(0, len(expected) + 10, 10)
    ]  # fmt: skip

    assert len(expected) > 10
    assert [d.id for p in pages for d in p.items] == [d.id for d in expected]
    assert {(p.total, p.counts["up"], p.counts["down"]) for p in pages} == {
        (len(expected), len(expected), 0)
    }


def test_pending_only_lists_devices_with_pending_settings(model, cached_fleet):
    page = _everything(model, pending_only=True)

    expected = {d.id for d in cached_fleet if d.pending_settings}
    assert expected and _ids(page) == expected


def test_combined_filters_match_the_upstream(model, cached_fleet, upstream):
    first = cached_fleet[0]

    page = _everything(model, status=True, organization=first.organization_id, type=first.type)

    expected = _upstream_ids(
        upstream, status=True, organization=first.organization_id, type=first.type
    )
    assert _ids(page) == expected and page.total == len(expected)


def test_counts_are_exact_for_the_current_filter(model, cached_fleet):
    organization = cached_fleet[0].organization_id
    in_org = [d for d in cached_fleet if d.organization_id == organization]

    page = model.query(DeviceQuery(organization=organization, limit=1), None)

    assert page.total == len(in_org)
    assert page.counts == {
        "up": sum(d.is_up for d in in_org),
        "down": sum(not d.is_up for d in in_org),
    }


def _filter_combinations(devices):
    """Filters on organization, type, status and pending, alone and together, with and
    without a tenant's scope: (query filters, org_ids, which devices match)."""
    first = devices[0]
    org, kind = first.organization_id, first.type
    in_tenant = [d for d in devices if d.organization_id in TENANT_ORGS]
    kind_in_tenant = in_tenant[0].type
    return [
        ({"organization": org}, None, lambda d: d.organization_id == org),
        ({"type": kind}, None, lambda d: d.type == kind),
        ({"pending_only": True}, None, lambda d: bool(d.pending_settings)),
        ({"organization": org, "type": kind}, None,
         lambda d: d.organization_id == org and d.type == kind),
        ({"organization": org, "status": False}, None,
         lambda d: d.organization_id == org and not d.is_up),
        ({"type": kind, "pending_only": True, "status": True}, None,
         lambda d: d.type == kind and bool(d.pending_settings) and d.is_up),
        ({}, TENANT_ORGS, lambda d: d.organization_id in TENANT_ORGS),
        ({"type": kind_in_tenant}, TENANT_ORGS,
         lambda d: d.organization_id in TENANT_ORGS and d.type == kind_in_tenant),
    ]  # fmt: skip


def _assert_counts_match(model, devices):
    for filters, org_ids, matches in _filter_combinations(devices):
        expected = [d for d in devices if matches(d)]
        counts = {"up": sum(d.is_up for d in expected), "down": sum(not d.is_up for d in expected)}
        # The first page (walked) and a deep one (materialised) give the same counts.
        for offset in (0, max(len(expected) - 3, 0)):
            page = model.query(DeviceQuery(offset=offset, limit=2, **filters), org_ids)
            assert (page.total, page.counts) == (len(expected), counts), (filters, org_ids)


def test_counts_of_filter_combinations_are_exact(model, cached_fleet):
    _assert_counts_match(model, cached_fleet)


def test_counts_stay_exact_through_updates_in_place_and_removals(model, cached_fleet):
    devices = list(cached_fleet)
    first = devices[0]
    elsewhere = next(d for d in devices if d.organization_id != first.organization_id)
    up = next(d for d in devices[1:] if d.is_up and d.organization_id == first.organization_id)
    calm = next(d for d in devices[1:] if not d.pending_settings and d.type == first.type)
    changed = {
        up.id: msgspec.structs.replace(up, status="Down"),
        elsewhere.id: msgspec.structs.replace(
            elsewhere, organization_id=first.organization_id, type=first.type
        ),
        calm.id: msgspec.structs.replace(calm, pending_settings=(PendingSetting("x.y", "1"),)),
    }
    added = msgspec.structs.replace(first, id=max(d.id for d in devices) + 1, serial_number="NEW-1")
    gone = next(d for d in devices[1:] if d.id not in changed and not d.is_up)

    model.update_devices([*changed.values(), added], observed_at=datetime.now(UTC))
    model.remove_devices([gone.id])

    now = [changed.get(d.id, d) for d in devices if d.id != gone.id] + [added]
    _assert_counts_match(model, now)


def test_counts_without_filters_cover_the_whole_fleet(model, cached_fleet):
    page = model.query(DeviceQuery(limit=1), None)

    assert page.total == len(cached_fleet)
    assert page.counts["up"] == sum(d.is_up for d in cached_fleet)
    assert page.counts["down"] == sum(not d.is_up for d in cached_fleet)


def _time_key(moment):
    return -1.0 if moment is None else moment.timestamp()


# Expected orders, spelled out independently of the model: ties in a time order fall
# back to the id as text (how Redis orders equal scores).
EXPECTED_ORDER = {
    "name": lambda d: (d.name.casefold(), d.id),
    "status": lambda d: (d.is_up, d.name.casefold(), d.id),
    "status_change": lambda d: (_time_key(d.status_change), str(d.id)),
    "last_connection": lambda d: (_time_key(d.last_connection), str(d.id)),
}


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", sorted(EXPECTED_ORDER))
def test_sort_orders_the_whole_fleet(model, cached_fleet, sort, descending):
    page = _everything(model, sort=sort, descending=descending)

    expected = sorted(cached_fleet, key=EXPECTED_ORDER[sort], reverse=descending)
    assert [d.id for d in page.items] == [d.id for d in expected]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", sorted(EXPECTED_ORDER))
@pytest.mark.parametrize("status", [True, False])
def test_sort_orders_one_status(model, cached_fleet, sort, descending, status):
    page = _everything(model, status=status, sort=sort, descending=descending)

    expected = sorted(
        (d for d in cached_fleet if d.is_up == status),
        key=EXPECTED_ORDER[sort],
        reverse=descending,
    )
    assert [d.id for d in page.items] == [d.id for d in expected]
    counted = {"up": len(expected), "down": 0} if status else {"up": 0, "down": len(expected)}
    assert page.counts == counted


def test_pages_follow_each_other_without_gaps_or_repeats(model, cached_fleet):
    seen = []
    for offset in range(0, 400, 40):
        page = model.query(DeviceQuery(status=True, offset=offset, limit=40), None)
        seen.extend(d.id for d in page.items)

    up = sorted((d for d in cached_fleet if d.is_up), key=EXPECTED_ORDER["name"])
    assert seen == [d.id for d in up]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", ["name", "status"])
@pytest.mark.parametrize("status", [True, False])
def test_a_deep_page_of_one_status_in_name_order(model, cached_fleet, sort, descending, status):
    expected = sorted(
        (d for d in cached_fleet if d.is_up == status),
        key=EXPECTED_ORDER["name"],
        reverse=descending,
    )
    middle = len(expected) // 2

    page = model.query(
        DeviceQuery(status=status, sort=sort, descending=descending, offset=middle, limit=7),
        None,
    )
    past_the_end = model.query(
        DeviceQuery(status=status, sort=sort, descending=descending, offset=len(expected) - 2),
        None,
    )

    assert middle > 7
    assert [d.id for d in page.items] == [d.id for d in expected[middle : middle + 7]]
    assert page.total == len(expected)
    # The last page stops at the last device of that status, not in the other status.
    assert [d.id for d in past_the_end.items] == [d.id for d in expected[-2:]]


def _searchable(device):
    fields = (
        device.name,
        device.serial_number,
        device.customer_id,
        device.location_name,
        device.address,
    )
    return [f.lower() for f in fields if f]


@pytest.mark.parametrize(
    "pick",
    [
        pytest.param(lambda d: d.name[-8:].lower(), id="name"),
        pytest.param(lambda d: d.serial_number[3:9], id="serial"),
        pytest.param(lambda d: d.customer_id.upper(), id="customer-id"),
        pytest.param(lambda d: d.location_name.split()[0], id="location"),
        pytest.param(lambda d: d.address.rsplit(".", 1)[0] + ".", id="address"),
    ],
)
def test_search_finds_text_in_each_searched_field(model, cached_fleet, pick):
    device = next(d for d in cached_fleet if d.address)
    needle = pick(device)

    page = _everything(model, search=needle)

    expected = {d.id for d in cached_fleet if any(needle.lower() in f for f in _searchable(d))}
    assert device.id in expected
    assert _ids(page) == expected


def test_search_does_not_match_across_fields(model, cached_fleet):
    device = cached_fleet[0]
    # The end of the name joined to the start of the serial exists in no single field.
    straddling = device.name[-3:] + device.serial_number[:3]

    assert _everything(model, search=straddling).total == 0


def test_search_combines_with_filters_and_counts(model, cached_fleet):
    needle = cached_fleet[0].location_name.split()[0].lower()

    page = _everything(model, search=needle, status=True)

    expected = [d for d in cached_fleet if d.is_up and any(needle in f for f in _searchable(d))]
    assert _ids(page) == {d.id for d in expected}
    assert page.counts == {"up": len(expected), "down": 0}


def test_a_tenant_never_sees_another_organizations_device(model, cached_fleet):
    page = _everything(model, org_ids=TENANT_ORGS)

    assert page.total == sum(d.organization_id in TENANT_ORGS for d in cached_fleet) > 0
    assert {d.organization_id for d in page.items} <= TENANT_ORGS


def test_a_tenant_asking_for_another_organization_gets_nothing(model, cached_fleet):
    outsider = next(d for d in cached_fleet if d.organization_id not in TENANT_ORGS)

    page = _everything(model, org_ids=TENANT_ORGS, organization=outsider.organization_id)
    found = _everything(model, org_ids=TENANT_ORGS, search=outsider.serial_number)

    assert page.total == 0 and page.items == [] and page.counts == {"up": 0, "down": 0}
    assert found.total == 0


def test_a_tenant_with_no_organization_sees_nothing(model, cached_fleet):
    assert _everything(model, org_ids=frozenset()).total == 0


def test_a_cached_result_follows_an_in_place_update(model, cached_fleet, still_fleet, api_factory):
    device = next(d for d in cached_fleet if d.is_up)
    assert device.id in _ids(_everything(model, status=True))
    still_fleet.set_status(device.id, up=False)

    polling.refresh_device(
        model=model, api_factory=api_factory, device_id=device.id, update_status=False
    )

    assert device.id not in _ids(_everything(model, status=True))
    assert device.id in _ids(_everything(model, status=False))


def test_renamed_device_takes_its_place_in_the_name_order(
    model, cached_fleet, api_factory, upstream
):
    device = cached_fleet[5]
    upstream.update_device(device.id, {"name": "AAA-first-of-all"})

    polling.refresh_device(
        model=model, api_factory=api_factory, device_id=device.id, update_status=False
    )

    first = model.query(DeviceQuery(limit=2), None).items
    assert first[0].id == device.id
    by_status = _everything(model, sort="status").items
    assert [d.id for d in by_status if d.is_up == device.is_up][0] == device.id


def test_an_empty_model_answers_with_no_snapshot(model):
    page = model.query(DeviceQuery(), None)

    assert page.total == 0 and page.items == [] and page.as_of is None


def test_the_answer_says_how_old_its_data_is(model, cached_fleet):
    page = model.query(DeviceQuery(limit=1), None)

    health = model.poll_health(polling.FLEET)
    assert abs(page.as_of - health.last_success) < timedelta(seconds=1)


@pytest.mark.parametrize(
    "bad",
    [{"sort": "colour"}, {"limit": 0}, {"limit": 501}, {"offset": -1}],
)
def test_a_malformed_query_is_refused_with_a_message(bad):
    with pytest.raises(ValueError, match=r"\w+"):
        DeviceQuery(**bad)


def test_a_snapshot_without_cell_counts_still_counts_exactly(model, cached_fleet):
    # As a generation published before the read model kept cell counts.
    generation = model.snapshot_info().generation
    model.client.delete(model.keys.cells(generation))
    device = next(d for d in cached_fleet if d.is_up)

    model.update_devices(
        [msgspec.structs.replace(device, status="Down")], observed_at=datetime.now(UTC)
    )

    now = [
        msgspec.structs.replace(d, status="Down") if d.id == device.id else d for d in cached_fleet
    ]
    _assert_counts_match(model, now)
    assert not model.client.exists(model.keys.cells(generation))


def test_devices_renamed_together_keep_the_name_order_between_them(model, cached_fleet, upstream):
    # Both new names sort before every other device: one in-place write places them
    # in the same gap of the name order, and must still order them by name.
    second, first = cached_fleet[5], cached_fleet[9]
    upstream.update_device(second.id, {"name": "AAA-2"})
    upstream.update_device(first.id, {"name": "AAA-1"})

    model.update_devices(
        [upstream.get_device(second.id), upstream.get_device(first.id)],
        observed_at=datetime.now(UTC),
    )

    leading = model.query(DeviceQuery(limit=2), None).items
    assert [d.id for d in leading] == [first.id, second.id]


def test_many_devices_read_at_once_come_back_whole_across_reads(cached_fleet, model, monkeypatch):
    """get_devices reads a part per HMGET (one HMGET of tens of thousands would hold Redis):
    across the parts' edges every device present comes back once, the absent left out."""
    monkeypatch.setattr("fleet.store.lookups.DEVICES_PER_READ", 7)
    present = [d.id for d in cached_fleet]
    asked = [*present, 10**9, present[0], 10**9 + 1]

    found = model.get_devices(asked)

    assert sorted(found) == sorted(present)
    assert all(found[d.id].name == d.name for d in cached_fleet)
