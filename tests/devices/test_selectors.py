"""Selectors for pages: reads from the cache, and the degraded ways when it is gone."""

from datetime import timedelta

import pytest

from devices import history_selectors, list_selectors, selectors
from fleet import polling
from fleet.store.queries import DeviceQuery
from tests.fixtures.simulator import TENANT_ORGS

DEVICE_PATH = "/api/v1/inventory_device/"


@pytest.fixture
def polled(model, api_factory, poll_config, still_fleet, cache_settings):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    return still_fleet


def test_a_list_reads_the_cache_without_calling_the_upstream(polled):
    polled.clear_log()

    answer = list_selectors.device_list(org_ids=None, query=DeviceQuery(status=False))

    assert not answer.degraded and answer.error is None
    assert answer.total == answer.counts["down"] > 0
    assert all(d.status == "Down" for d in answer.items)
    assert polled.request_log(last=0)["total"] == 0


def test_without_redis_a_list_comes_from_the_upstream_and_says_degraded(
    still_fleet, redis_down, all_devices
):
    answer = list_selectors.device_list(org_ids=None, query=DeviceQuery(limit=20))

    fleet = all_devices()
    assert answer.degraded and answer.error is None
    assert answer.total == len(fleet)
    assert answer.counts == {
        "up": sum(d.is_up for d in fleet),
        "down": sum(not d.is_up for d in fleet),
    }
    assert [d.id for d in answer.items] == [d.id for d in fleet[:20]]
    assert list_selectors.NOTE_UPSTREAM_ORDER in answer.notes


def test_a_degraded_list_never_asks_for_update_status(still_fleet, redis_down):
    still_fleet.clear_log()

    list_selectors.device_list(org_ids=None, query=DeviceQuery(status=True))

    entries = still_fleet.request_log(last=50)["entries"]
    assert entries and all("update_status" not in str(e["query"]) for e in entries)


def test_a_degraded_list_says_search_is_not_applied(still_fleet, redis_down):
    answer = list_selectors.device_list(
        org_ids=None, query=DeviceQuery(search="lisbon", pending_only=True)
    )

    assert list_selectors.NOTE_NO_SEARCH in answer.notes
    assert list_selectors.NOTE_NO_PENDING in answer.notes


def test_a_degraded_list_pages_through_a_tenants_organizations(
    still_fleet, redis_down, all_devices
):
    expected = [d.id for d in all_devices() if d.organization_id in TENANT_ORGS]
    seen = []
    for offset in range(0, len(expected) + 30, 30):
        answer = list_selectors.device_list(
            org_ids=TENANT_ORGS, query=DeviceQuery(offset=offset, limit=30)
        )
        assert answer.total == len(expected)
        seen.extend(d.id for d in answer.items)

    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))


def test_a_degraded_list_keeps_a_tenant_inside_its_organizations(
    still_fleet, redis_down, all_devices
):
    outsider = next(d for d in all_devices() if d.organization_id not in TENANT_ORGS)

    answer = list_selectors.device_list(
        org_ids=TENANT_ORGS, query=DeviceQuery(organization=outsider.organization_id)
    )

    assert answer.total == 0 and answer.items == []


def test_without_redis_and_upstream_a_list_is_empty_with_an_error_in_words(
    redis_down, upstream_down
):
    answer = list_selectors.device_list(org_ids=None, query=DeviceQuery())

    assert answer.items == [] and answer.total == 0 and answer.degraded
    assert answer.error.startswith("The fleet cache is unavailable and the control API")
    assert "could not be reached" in answer.error


def test_before_the_first_poll_a_list_reads_the_upstream(still_fleet, cache_settings):
    answer = list_selectors.device_list(org_ids=None, query=DeviceQuery(limit=5))

    assert answer.total == 300 and len(answer.items) == 5
    assert list_selectors.NOTE_FILLING in answer.notes


def test_a_fresh_cached_device_is_read_without_the_upstream(polled):
    polled.clear_log()

    detail = selectors.device_detail(device_id=1001, org_ids=None)

    assert detail.device.id == 1001 and not detail.degraded
    assert polled.request_log(last=0)["total"] == 0


def test_a_stale_cached_device_is_read_again_from_the_upstream(polled):
    polled.clear_log()

    detail = selectors.device_detail(device_id=1001, org_ids=None, max_age=timedelta(0))

    assert detail.device.id == 1001 and detail.error is None
    assert polled.request_count("GET", f"{DEVICE_PATH}1001/") == 1


def test_a_device_missing_from_the_cache_is_fetched(still_fleet, cache_settings):
    detail = selectors.device_detail(device_id=1002, org_ids=None)

    assert detail.device.id == 1002
    assert still_fleet.request_count("GET", f"{DEVICE_PATH}1002/") == 1


def test_another_organizations_device_is_not_found_for_a_tenant(polled, all_devices):
    outsider = next(d for d in all_devices() if d.organization_id not in TENANT_ORGS)

    assert selectors.device_detail(device_id=outsider.id, org_ids=TENANT_ORGS) is None
    assert (
        selectors.device_detail(device_id=outsider.id, org_ids=TENANT_ORGS, max_age=timedelta(0))
        is None
    )


def test_an_unknown_device_is_not_found(polled):
    assert selectors.device_detail(device_id=999999, org_ids=None) is None


def test_without_redis_a_device_comes_from_the_upstream(still_fleet, redis_down):
    detail = selectors.device_detail(device_id=1003, org_ids=None)

    assert detail.device.id == 1003 and detail.degraded


def test_without_redis_a_tenant_still_cannot_see_another_organizations_device(
    still_fleet, redis_down, all_devices
):
    outsider = next(d for d in all_devices() if d.organization_id not in TENANT_ORGS)

    assert selectors.device_detail(device_id=outsider.id, org_ids=TENANT_ORGS) is None


def test_a_stale_device_is_still_shown_when_the_upstream_fails(polled, upstream_down):
    detail = selectors.device_detail(device_id=1001, org_ids=None, max_age=timedelta(0))

    assert detail.device.id == 1001 and detail.stale
    assert "Could not read the device" in detail.error


def test_without_redis_and_upstream_a_device_reads_as_an_error(redis_down, upstream_down):
    detail = selectors.device_detail(device_id=1001, org_ids=None)

    assert detail.device is None and detail.degraded and "could not be reached" in detail.error


def test_counts_follow_the_filter(polled):
    answer = list_selectors.fleet_counts(org_ids=TENANT_ORGS)

    assert answer.items == []
    assert answer.total == answer.counts["up"] + answer.counts["down"] > 0


@pytest.mark.django_db
def test_flapping_without_redis_is_read_from_the_database(redis_down):
    answer = history_selectors.flapping_devices(org_ids=None)

    assert answer.items == [] and not answer.degraded and answer.error is None


def test_profiles_come_from_their_snapshot(model, api_factory, still_fleet, cache_settings):
    polling.poll_profiles(model=model, api_factory=api_factory)
    still_fleet.clear_log()

    answer = selectors.profile_list()

    assert answer.items and answer.as_of is not None and not answer.degraded
    assert still_fleet.request_log(last=0)["total"] == 0


def test_without_redis_profiles_come_from_the_upstream(still_fleet, redis_down):
    answer = selectors.profile_list()

    assert answer.items and answer.degraded


def test_device_types_are_those_of_the_cached_fleet_by_name(polled, all_devices):
    fleet = {d.type: d.type_short_name for d in all_devices()}

    types = list_selectors.device_types(org_ids=None)

    assert types == fleet and len(types) > 1
    assert list(types.values()) == sorted(types.values(), key=str.casefold)


def test_a_tenant_is_offered_only_the_types_of_its_organizations(polled, all_devices):
    fleet = all_devices()
    types_of = {o: {d.type for d in fleet if d.organization_id == o}
                for o in {d.organization_id for d in fleet}}  # fmt: skip
    narrowest = min(types_of, key=lambda o: len(types_of[o]))
    assert types_of[narrowest] < {d.type for d in fleet}  # the fleet makes the test mean something

    assert set(list_selectors.device_types(org_ids=frozenset({narrowest}))) == types_of[narrowest]
    assert list_selectors.device_types(org_ids=frozenset()) == {}


def test_without_redis_no_device_types_are_offered(still_fleet, redis_down):
    assert list_selectors.device_types(org_ids=None) == {}


def test_a_detail_read_fetches_a_list_shaped_cached_device_once(polled):
    polled.clear_log()

    first = selectors.device_detail(device_id=1001, org_ids=None, detail=True)
    again = selectors.device_detail(device_id=1001, org_ids=None, detail=True)

    # The poll cached the list shape; the detail record (with username) replaces it.
    assert first.device.username is not None and again.device == first.device
    assert polled.request_count("GET", f"{DEVICE_PATH}1001/") == 1


@pytest.mark.django_db
def test_three_transitions_in_the_last_hour_make_a_device_flapping(
    polled, model, api_factory, poll_config
):
    flapper, steady = model.query(DeviceQuery(status=True, limit=2), None).items
    # The flapper changes three times; the other twice (Up, Down, Up): not flapping.
    for flapper_up, other_up in ((False, True), (True, False), (False, True)):
        polled.set_status(flapper.id, up=flapper_up)
        polled.set_status(steady.id, up=other_up)
        polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config,
                           mode=polling.INCREMENTAL)  # fmt: skip

    answer = history_selectors.flapping_devices(org_ids=None)

    assert [(f.device_id, f.transitions) for f in answer.items] == [(flapper.id, 3)]
