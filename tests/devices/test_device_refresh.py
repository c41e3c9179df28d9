"""Refreshing one device: one upstream call however many ask at once."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from controlapi import errors
from fleet import polling
from fleet.store.queries import DeviceQuery


def test_concurrent_misses_make_one_upstream_call(model, api_factory, still_fleet):
    still_fleet.clear_log()
    # Slow answers, so that every caller arrives while the first fetch is in flight.
    still_fleet.set_faults(latency_ms=300)
    callers = 8
    barrier = threading.Barrier(callers)
    names, failures = [], []

    def refresh():
        barrier.wait()
        try:
            device = polling.refresh_device(
                model=model, api_factory=api_factory, device_id=1042, update_status=True
            )
            names.append(device.name)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            failures.append(error)

    threads = [threading.Thread(target=refresh) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert not failures
    assert len(names) == callers and len(set(names)) == 1
    assert still_fleet.request_count("GET", "/api/v1/inventory_device/1042/") == 1


def test_a_refresh_updates_the_cached_device(model, api_factory, poll_config, still_fleet):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    device_id = model.query(DeviceQuery(status=True, limit=1), None).items[0].id
    before = model.get_device(device_id)
    still_fleet.set_status(device_id, up=False)

    polling.refresh_device(
        model=model, api_factory=api_factory, device_id=device_id, update_status=True
    )

    after = model.get_device(device_id)
    assert before.device.status == "Up" and after.device.status == "Down"
    assert after.as_of > before.as_of


def test_waiters_get_the_winners_error(model, api_factory, still_fleet):
    callers = 4
    barrier = threading.Barrier(callers)
    outcomes = []
    still_fleet.set_faults(latency_ms=300)

    def refresh():
        barrier.wait()
        try:
            polling.refresh_device(
                model=model, api_factory=api_factory, device_id=999999, update_status=False
            )
            outcomes.append("found")
        except errors.NotFound as error:
            outcomes.append(str(error))

    threads = [threading.Thread(target=refresh) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert len(outcomes) == callers and all("no such object" in o for o in outcomes)
    assert still_fleet.request_count("GET", "/api/v1/inventory_device/999999/") == 1


def test_a_device_deleted_upstream_leaves_the_cache_on_refresh(
    model, api_factory, poll_config, still_fleet
):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    # A device without pending work: the upstream refuses to delete the others.
    victim = next(
        d.id for d in model.query(DeviceQuery(limit=50), None).items if not d.pending_settings
    )
    with api_factory() as api:
        api.delete_device(victim)

    with pytest.raises(errors.NotFound):
        polling.refresh_device(
            model=model, api_factory=api_factory, device_id=victim, update_status=False
        )

    assert model.get_device(victim) is None


def test_a_refresh_caches_when_a_scheduled_reboot_is_due(
    model, api_factory, poll_config, still_fleet
):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    with api_factory() as api:
        rebooting = api.reboot(1060)  # a write answer carries the entries' values
    due = next(p.value for p in rebooting.pending_settings if p.name == "reboot_scheduled")

    polling.refresh_device(model=model, api_factory=api_factory, device_id=1060,
                           update_status=False)  # fmt: skip

    cached = model.get_device(1060).device.pending_settings
    assert due and [(p.name, p.value) for p in cached] == [("reboot_scheduled", due)]


def test_a_device_coming_up_on_refresh_enters_its_history(
    model, api_factory, poll_config, still_fleet
):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    device_id = model.query(DeviceQuery(status=False, limit=1), None).items[0].id
    since = datetime.now(UTC) - timedelta(seconds=1)
    still_fleet.set_status(device_id, up=True)
    seen = []

    polling.refresh_device(
        model=model,
        api_factory=api_factory,
        device_id=device_id,
        update_status=True,
        on_transitions=seen.extend,
    )

    history = model.transitions_since(since, device_id=device_id)
    assert [(t.from_status, t.to_status) for t in history] == [("Down", "Up")]
    assert [(t.device_id, t.to_status) for t in seen] == [(device_id, "Up")]


def test_a_refresh_that_sees_no_change_records_no_history(
    model, api_factory, poll_config, still_fleet
):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    device_id = model.query(DeviceQuery(status=True, limit=1), None).items[0].id
    since = datetime.now(UTC) - timedelta(seconds=1)

    polling.refresh_device(
        model=model, api_factory=api_factory, device_id=device_id, update_status=True
    )

    assert model.transitions_since(since, device_id=device_id) == []
