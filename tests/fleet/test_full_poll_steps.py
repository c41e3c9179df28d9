"""The three steps of a full poll (fleet.full_poll) called one by one, as Celery workers
call them: ranges in any order or twice, a range that fails or never lands, a lock lost
half-way, and a fleet that changes upstream while the pages are read."""

from dataclasses import replace

import pytest

from controlapi import ControlAPI, errors
from fleet import full_poll, polling
from fleet.locks import RedisLock
from fleet.poll_failures import LockLost, failure_kind
from fleet.store.queries import DeviceQuery
from tests.fixtures.simulator import ALL_TOKEN


def _begin(model, api_factory, config):
    plan = full_poll.begin_full_poll(model, api_factory, config)
    assert plan is not None
    # What a Celery message carries, and what the steps get back from it.
    return full_poll.FullPollPlan.from_json(plan.to_json())


def _store(model, api_factory, config, plan, ranges):
    for start, end in ranges:
        full_poll.store_range(model, api_factory, config, plan, start, end)


def _cached_ids(model):
    page = model.query(DeviceQuery(limit=500), None)
    ids = [d.id for d in page.items]
    assert len(ids) == len(set(ids)) == page.total  # no device twice
    return set(ids)


def _status_sets_agree(model):
    """Every device of the snapshot is in exactly one status set."""
    info = model.snapshot_info()
    up = model.client.smembers(model.keys.status(info.generation, True))
    down = model.client.smembers(model.keys.status(info.generation, False))
    return not (up & down) and len(up) + len(down) == info.devices


def test_ranges_stored_in_any_order_publish_the_whole_fleet(
    model, api_factory, poll_config, still_fleet, all_devices
):
    plan = _begin(model, api_factory, poll_config)
    assert plan.count == 300 and len(plan.ranges) == 6

    _store(model, api_factory, poll_config, plan, reversed(plan.ranges))
    finished = full_poll.finish_full_poll(model, api_factory, poll_config, plan)

    assert finished.devices == 300 and finished.pages == 12 and finished.repaired == 0
    assert _cached_ids(model) == {d.id for d in all_devices()}
    assert _status_sets_agree(model)
    assert model.snapshot_info().generation == plan.generation
    assert not model.client.exists(model.keys.poll_pages(plan.generation))
    assert RedisLock(model.client, model.keys.poll_lock(polling.FLEET), 5).holder() is None


def test_a_range_stored_twice_keeps_its_second_copy_only(
    model, api_factory, poll_config, still_fleet
):
    plan = _begin(model, api_factory, poll_config)
    first_range = plan.ranges[0]  # offsets 25-74: devices 1026-1075
    _store(model, api_factory, poll_config, plan, [first_range])
    was_up = model.client.sismember(model.keys.status(plan.generation, True), "1030")
    still_fleet.set_status(1030, up=not was_up)

    # Redelivered (its worker was lost after storing it): stored again, with 1030 changed.
    _store(model, api_factory, poll_config, plan, plan.ranges)
    full_poll.finish_full_poll(model, api_factory, poll_config, plan)

    assert model.get_device(1030).device.is_up is (not was_up)
    now_in = model.query(DeviceQuery(status=not was_up, limit=500), None)
    assert 1030 in {d.id for d in now_in.items}
    assert model.snapshot_info().devices == 300
    assert _status_sets_agree(model)


def test_a_range_that_failed_keeps_the_old_snapshot_and_says_why(
    model, api_factory, poll_config, still_fleet, redis_client, key_prefix
):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    before = model.snapshot_info()
    keys_before = set(redis_client.scan_iter(match=key_prefix + "fleet:*"))
    plan = _begin(model, api_factory, poll_config)
    _store(model, api_factory, poll_config, plan, plan.ranges[1:])
    still_fleet.set_faults(error_rate=1.0, error_status=[503])
    with pytest.raises(errors.UpstreamError) as upstream:
        _store(model, api_factory, poll_config, plan, plan.ranges[:1])

    # The range's task gave up after its retries and told the finish step why.
    said = full_poll.failure_reason(upstream.value, 0)
    with pytest.raises(polling.PollFailed) as failure:
        full_poll.finish_full_poll(
            model, api_factory, poll_config, plan,
            failures=[(f"Devices 25 to 74: {said}", failure_kind(upstream.value))],
        )  # fmt: skip

    assert model.snapshot_info() == before
    health = model.poll_health(polling.FLEET)
    assert health.last_error == str(failure.value)
    assert "Devices 25 to 74" in health.last_error and "503" in health.last_error
    assert health.last_error.count("The previous snapshot is kept.") == 1  # said once
    assert model.poll_failure_kinds(polling.FLEET) == {"upstream_error": 1}
    assert set(redis_client.scan_iter(match=key_prefix + "fleet:*")) <= keys_before | {
        (key_prefix + "fleet:seq").encode()
    }
    assert RedisLock(model.client, model.keys.poll_lock(polling.FLEET), 5).holder() is None


def test_a_range_that_never_landed_is_found_missing_by_the_finish_step(
    model, api_factory, poll_config, still_fleet
):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    before = model.snapshot_info()
    plan = _begin(model, api_factory, poll_config)
    # Its result says nothing failed, yet one range never reached Redis.
    _store(model, api_factory, poll_config, plan, plan.ranges[:-1])

    with pytest.raises(polling.PollFailed, match="1 of the poll.s 12 pages never reached Redis"):
        full_poll.finish_full_poll(model, api_factory, poll_config, plan)

    assert model.snapshot_info() == before


def test_a_poll_whose_lock_was_lost_publishes_nothing(
    model, api_factory, poll_config, still_fleet, redis_client
):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    before = model.snapshot_info()
    plan = _begin(model, api_factory, poll_config)
    _store(model, api_factory, poll_config, plan, plan.ranges[:3])
    # The lock expired (a stalled poll) and another poll took it.
    lock_key = model.keys.poll_lock(polling.FLEET)
    redis_client.set(lock_key, "another poll")

    with pytest.raises(LockLost):
        _store(model, api_factory, poll_config, plan, plan.ranges[3:])
    with pytest.raises(LockLost):
        full_poll.finish_full_poll(model, api_factory, poll_config, plan)

    assert model.snapshot_info() == before
    assert redis_client.get(lock_key) == b"another poll"  # not released: not this poll's
    assert not redis_client.exists(model.keys.dev(plan.generation))
    assert "lock" in model.poll_health(polling.FLEET).last_error


# --- the fleet changes under the offsets ----------------------------------------------


def _changed_upstream(simulator, *, delete, create, like):
    """Delete devices and create new ones (of `like`'s type and organization) through the
    simulator's API; returns the new ids."""
    fields = {"type": like.type, "organization_id": like.organization_id}
    with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
        for device_id in delete:
            api.delete_device(device_id)
        return [
            api.create_device({"name": f"new {n}", "serial_number": f"NEW-{n}", **fields}).id
            for n in range(create)
        ]


def _deletable(all_devices, first, last, how_many):
    """Devices of ids first..last the simulator lets us delete (no pending work)."""
    ids = [d.id for d in all_devices() if first <= d.id <= last and not d.pending_settings]
    assert len(ids) >= how_many
    return ids[:how_many]


@pytest.fixture
def fleet_changing_mid_poll(model, api_factory, poll_config, still_fleet, all_devices, simulator):
    """A full poll whose pages are read while devices are deleted and created upstream:
    the third range is read first, then two devices of the first range (not read yet) are
    deleted and three created, then the other ranges are read. Pages behind the deletions
    shift: the second range repeats the third's first devices, the fourth skips two.
    Returns the plan and what the simulator holds at the end."""
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    plan = _begin(model, api_factory, poll_config)
    third = plan.ranges[2]
    _store(model, api_factory, poll_config, plan, [third])
    deleted = _deletable(all_devices, 1030, 1070, 2)
    created = _changed_upstream(simulator, delete=deleted, create=3, like=all_devices()[0])
    _store(model, api_factory, poll_config, plan, [r for r in plan.ranges if r != third])
    return plan, deleted, created


def test_a_fleet_changed_mid_poll_is_published_without_skipped_or_repeated_devices(
    model, api_factory, poll_config, all_devices, fleet_changing_mid_poll
):
    plan, deleted, created = fleet_changing_mid_poll

    finished = full_poll.finish_full_poll(model, api_factory, poll_config, plan)

    upstream = {d.id for d in all_devices()}
    assert len(upstream) == 301
    assert _cached_ids(model) == upstream
    assert not set(deleted) & _cached_ids(model)
    assert set(created) <= _cached_ids(model)
    assert finished.repaired == 4 and finished.gone == 2  # two skipped, two deleted
    assert _status_sets_agree(model)
    assert model.poll_health(polling.FLEET).set_aside == ()


def test_a_fleet_that_changed_too_much_is_published_and_said_incomplete(
    model, api_factory, poll_config, all_devices, fleet_changing_mid_poll
):
    plan, _, _ = fleet_changing_mid_poll
    config = replace(poll_config, repair_limit=3)

    finished = full_poll.finish_full_poll(model, api_factory, config, plan)

    assert finished.repaired == 0
    assert model.snapshot_info().generation == plan.generation
    assert len(_cached_ids(model)) == 299  # two skipped, not fetched
    health = model.poll_health(polling.FLEET)
    assert (
        None,
        "The fleet changed during the poll: 4 devices may be missing until the next poll.",
    ) in health.set_aside
