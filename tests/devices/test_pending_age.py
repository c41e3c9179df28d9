"""How long pending settings have been pending: the poller records when it first saw
each entry, on every poll, whether or not anyone reads the triage board."""

from controlapi import ControlAPI
from fleet import polling
from tests.fixtures.simulator import ALL_TOKEN


def _poll(model, api_factory, poll_config, mode):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode=mode)
    return model.snapshot_info().as_of  # the poll's start


def _entries(device):
    return [(device.id, p.name) for p in device.pending_settings]


def test_a_full_poll_records_every_pending_entry_as_first_seen_then(
    model, api_factory, poll_config, still_fleet, all_devices
):
    started = _poll(model, api_factory, poll_config, polling.FULL)

    wanted = [e for d in all_devices() if d.pending_settings for e in _entries(d)]
    seen = model.pending_first_seen(wanted)
    assert wanted and set(seen) == set(wanted)
    assert set(seen.values()) == {started}


def test_an_incremental_poll_records_an_entry_queued_since(
    model, api_factory, poll_config, still_fleet, simulator
):
    _poll(model, api_factory, poll_config, polling.FULL)
    with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
        api.reboot(1010)  # queues reboot_scheduled and takes the device Down

    started = _poll(model, api_factory, poll_config, polling.INCREMENTAL)

    assert model.pending_first_seen([(1010, "reboot_scheduled")]) == {
        (1010, "reboot_scheduled"): started
    }


def test_an_incremental_poll_drops_an_entry_that_cleared(
    model, api_factory, poll_config, still_fleet, simulator
):
    _poll(model, api_factory, poll_config, polling.FULL)
    with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
        api.reboot(1010)
    _poll(model, api_factory, poll_config, polling.INCREMENTAL)
    assert model.pending_first_seen([(1010, "reboot_scheduled")])

    still_fleet.advance(60)  # the reboot completes: the device is Up, nothing pending
    _poll(model, api_factory, poll_config, polling.INCREMENTAL)

    assert model.pending_first_seen([(1010, "reboot_scheduled")]) == {}


def test_a_full_poll_drops_an_entry_that_cleared(
    model, api_factory, poll_config, still_fleet, simulator
):
    with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
        api.sync(1020)  # a sync changes no status: only a full poll sees it clear
    _poll(model, api_factory, poll_config, polling.FULL)
    assert model.pending_first_seen([(1020, "sync")])

    still_fleet.advance(60)
    _poll(model, api_factory, poll_config, polling.FULL)

    assert model.pending_first_seen([(1020, "sync")]) == {}
