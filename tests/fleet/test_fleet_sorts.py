"""Sorting the fleet by the columns a NOC sorts by beyond name, status and times:
organization, type, serial, customer id, location and software version (against real
Redis and the simulator's fleet)."""

import pytest

from controlapi import ControlAPI
from fleet import polling
from fleet.store.queries import DeviceQuery
from tests.fixtures.simulator import ALL_TOKEN
from tests.fixtures.sort_orders import EXPECTED_ORDER


@pytest.fixture
def cached_fleet(model, api_factory, poll_config, still_fleet, all_devices):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    return all_devices()


def _all(model, org_ids=None, **query):
    return model.query(DeviceQuery(limit=500, **query), org_ids)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", sorted(EXPECTED_ORDER))
def test_each_new_sort_orders_the_whole_fleet(model, cached_fleet, sort, descending):
    page = _all(model, sort=sort, descending=descending)

    expected = sorted(cached_fleet, key=EXPECTED_ORDER[sort], reverse=descending)
    assert page.total == len(cached_fleet)
    assert [d.id for d in page.items] == [d.id for d in expected]


@pytest.mark.parametrize("sort", sorted(EXPECTED_ORDER))
def test_each_new_sort_orders_a_filtered_page_and_keeps_exact_counts(model, cached_fleet, sort):
    organization = cached_fleet[0].organization_id

    page = model.query(
        DeviceQuery(status=True, organization=organization, sort=sort, offset=3, limit=20), None
    )

    matching = [d for d in cached_fleet if d.is_up and d.organization_id == organization]
    expected = sorted(matching, key=EXPECTED_ORDER[sort])[3:23]
    assert [d.id for d in page.items] == [d.id for d in expected]
    assert page.total == len(matching)
    assert page.counts == {"up": len(matching), "down": 0}


def test_organization_sort_follows_the_given_order_of_organizations(model, cached_fleet):
    orgs = sorted({d.organization_id for d in cached_fleet if d.organization_id is not None})
    order = tuple(reversed(orgs))  # as the dashboard's names would order them

    page = _all(model, sort="organization", organization_order=order)

    def key(d):
        if d.organization_id is None:
            return (1, d.name.casefold(), d.id)
        return (0, order.index(d.organization_id), d.name.casefold(), d.id)

    assert [d.id for d in page.items] == [d.id for d in sorted(cached_fleet, key=key)]
    descending = _all(model, sort="organization", organization_order=order, descending=True)
    assert [d.id for d in descending.items] == [d.id for d in page.items][::-1]


def test_a_tenant_sorting_by_serial_sees_only_its_devices(model, cached_fleet):
    organization = cached_fleet[0].organization_id

    page = _all(model, org_ids=frozenset({organization}), sort="serial")

    expected = sorted(
        (d for d in cached_fleet if d.organization_id == organization),
        key=EXPECTED_ORDER["serial"],
    )
    assert [d.id for d in page.items] == [d.id for d in expected]


def test_a_changed_serial_moves_the_device_in_the_serial_order(
    model, cached_fleet, api_factory, simulator
):
    device = cached_fleet[7]
    assert _all(model, sort="serial").items[0].id != device.id
    with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
        api.update_device(device.id, {"serial_number": "000-FIRST"})

    polling.refresh_device(
        model=model, api_factory=api_factory, device_id=device.id, update_status=False
    )

    assert _all(model, sort="serial").items[0].id == device.id


def test_a_removed_device_leaves_the_serial_order(model, cached_fleet):
    first = _all(model, sort="serial").items[0]

    model.remove_devices([first.id])

    page = _all(model, sort="serial")
    assert first.id not in {d.id for d in page.items}
    assert page.total == len(cached_fleet) - 1


@pytest.mark.parametrize("sort", sorted(EXPECTED_ORDER))
def test_a_sort_built_in_small_chunks_orders_the_fleet_the_same(
    model, cached_fleet, sort, monkeypatch
):
    # Chunks far smaller than the fleet: every chunk boundary of the reads and the
    # writes falls inside an organization, a type and a page.
    monkeypatch.setattr("fleet.store.indexes.ORDER_CHUNK", 3)

    page = _all(model, sort=sort)

    expected = sorted(cached_fleet, key=EXPECTED_ORDER[sort])
    assert [d.id for d in page.items] == [d.id for d in expected]
    leftovers = [key for key in model.client.scan_iter(match="*:building:*")]
    assert leftovers == []
