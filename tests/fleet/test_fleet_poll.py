"""The fleet poll against the simulator: snapshots switch whole, failures keep the
old one, incremental polls update in place."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from fleet import polling
from fleet.store.queries import DeviceQuery


def _ids(page):
    return {d.id for d in page.items}


def _full(model, api_factory, poll_config, **kwargs):
    return polling.poll_fleet(
        model=model, api_factory=api_factory, config=poll_config, mode=polling.FULL, **kwargs
    )


def test_full_poll_caches_every_device(model, api_factory, poll_config, still_fleet, all_devices):
    report = _full(model, api_factory, poll_config)

    upstream = all_devices()
    page = model.query(DeviceQuery(limit=500), None)
    assert report.devices == len(upstream) == page.total
    assert _ids(page) == {d.id for d in upstream}
    assert page.as_of is not None


def test_reader_during_a_paused_poll_sees_only_the_old_snapshot(
    model, api_factory, poll_config, still_fleet
):
    _full(model, api_factory, poll_config)
    before = model.query(DeviceQuery(status=False, limit=500), None)
    # Devices all over the fleet go down upstream; the next poll stops half-way.
    going_down = set(range(1001, 1301, 15))
    for device_id in going_down:
        still_fleet.set_status(device_id, up=False)
    halfway, release = threading.Event(), threading.Event()

    def hold(pages_written):
        if pages_written == 6:
            halfway.set()
            release.wait(10)

    poller = threading.Thread(target=_full, args=(model, api_factory, poll_config),
                              kwargs={"on_page": hold})  # fmt: skip
    poller.start()
    try:
        assert halfway.wait(10)
        during = model.query(DeviceQuery(status=False, limit=500), None)
        during_all = model.query(DeviceQuery(limit=500), None)
    finally:
        release.set()
        poller.join(10)
    after = model.query(DeviceQuery(status=False, limit=500), None)

    assert _ids(during) == _ids(before)
    assert during.counts == before.counts
    assert during_all.counts["down"] == before.total
    assert going_down <= _ids(after)


def test_devices_gone_upstream_are_gone_from_the_cache(
    model, api_factory, poll_config, still_fleet, all_devices
):
    _full(model, api_factory, poll_config)
    still_fleet.resize(250)
    still_fleet.settings(churn_per_minute=0, flap_seconds=[1e9, 1e9])

    _full(model, api_factory, poll_config)

    page = model.query(DeviceQuery(limit=500), None)
    assert page.total == 250
    assert _ids(page) == {d.id for d in all_devices()}
    assert model.get_device(1001 + 299) is None


def test_a_failed_page_keeps_the_previous_snapshot_and_says_why(
    model, api_factory, poll_config, still_fleet
):
    _full(model, api_factory, poll_config)
    before = model.query(DeviceQuery(limit=500), None)
    still_fleet.set_status(1001, up=False)

    # After the first page nothing else is in flight yet, so every later page fails.
    def break_upstream(pages_written):
        if pages_written == 1:
            still_fleet.set_faults(error_rate=1.0, error_status=[503])

    with pytest.raises(polling.PollFailed) as failure:
        _full(model, api_factory, poll_config, on_page=break_upstream)

    after = model.query(DeviceQuery(limit=500), None)
    assert after.as_of == before.as_of
    assert _ids(after) == _ids(before)
    assert model.get_device(1001).device.status == "Up"
    health = model.poll_health(polling.FLEET)
    assert health.failures == 1
    assert "503" in health.last_error and "previous snapshot is kept" in health.last_error
    assert str(failure.value) == health.last_error


def test_a_failed_poll_leaves_no_half_written_generation(
    model, api_factory, poll_config, still_fleet, redis_client, key_prefix
):
    _full(model, api_factory, poll_config)
    keys_before = set(redis_client.scan_iter(match=key_prefix + "fleet:*"))

    def break_upstream(pages_written):
        if pages_written == 1:
            still_fleet.set_faults(error_rate=1.0)

    with pytest.raises(polling.PollFailed):
        _full(model, api_factory, poll_config, on_page=break_upstream)

    keys_after = set(redis_client.scan_iter(match=key_prefix + "fleet:*"))
    assert keys_after - keys_before <= {(key_prefix + "fleet:seq").encode()}


def test_incremental_poll_updates_changed_devices_in_place(
    model, api_factory, poll_config, still_fleet
):
    _full(model, api_factory, poll_config)
    generation = model.snapshot_info().generation
    still_fleet.set_status(1010, up=False)

    report = polling.poll_fleet(
        model=model, api_factory=api_factory, config=poll_config, mode=polling.INCREMENTAL
    )

    assert report.mode == polling.INCREMENTAL
    assert 1010 in {t.device_id for t in report.transitions}
    assert model.snapshot_info().generation == generation
    assert model.get_device(1010).device.status == "Down"
    assert 1010 in _ids(model.query(DeviceQuery(status=False, limit=500), None))
    assert 1010 not in _ids(model.query(DeviceQuery(status=True, limit=500), None))


def test_incremental_poll_moves_the_snapshot_time_forward(
    model, api_factory, poll_config, still_fleet
):
    _full(model, api_factory, poll_config)
    first = model.snapshot_info().as_of

    polling.poll_fleet(
        model=model, api_factory=api_factory, config=poll_config, mode=polling.INCREMENTAL
    )

    assert model.snapshot_info().as_of > first


def test_automatic_mode_starts_full_then_goes_incremental(
    model, api_factory, poll_config, still_fleet
):
    first = polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config)
    second = polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config)

    assert (first.mode, second.mode) == (polling.FULL, polling.INCREMENTAL)


def test_replaced_generation_is_deleted_after_its_grace_period(
    model, api_factory, poll_config, still_fleet, redis_client, key_prefix
):
    _full(model, api_factory, poll_config)
    old = model.snapshot_info().generation
    _full(model, api_factory, poll_config)
    old_keys = f"{key_prefix}fleet:{old}:*"
    assert any(redis_client.scan_iter(match=old_keys))

    model.collect_garbage(datetime.now(UTC) + timedelta(minutes=5))

    assert not any(redis_client.scan_iter(match=old_keys))
    assert model.query(DeviceQuery(limit=1), None).total == 300


def test_poll_health_records_a_success(model, api_factory, poll_config, still_fleet):
    _full(model, api_factory, poll_config)

    health = model.poll_health(polling.FLEET)
    assert health.devices == 300
    assert health.pages == 12
    assert health.mode == polling.FULL
    assert health.last_success == health.last_attempt
    assert health.failures == 0 and health.running_since is None


def test_a_poll_stopped_by_its_time_limit_keeps_the_old_snapshot_and_frees_the_lock(
    model, api_factory, poll_config, still_fleet, redis_client, key_prefix
):
    _full(model, api_factory, poll_config)
    before = model.snapshot_info()
    keys_before = set(redis_client.scan_iter(match=key_prefix + "fleet:*"))

    def time_is_up(pages_written):
        if pages_written == 3:
            # What Celery raises inside the task when the soft time limit fires.
            raise SoftTimeLimitExceeded()

    with pytest.raises(SoftTimeLimitExceeded):
        _full(model, api_factory, poll_config, on_page=time_is_up)

    assert model.snapshot_info() == before
    assert set(redis_client.scan_iter(match=key_prefix + "fleet:*")) <= keys_before | {
        (key_prefix + "fleet:seq").encode()
    }
    assert "The poll stopped" in model.poll_health(polling.FLEET).last_error
    assert _full(model, api_factory, poll_config).skipped is False


def test_a_quiet_incremental_poll_keeps_cached_results_valid(
    model, api_factory, poll_config, still_fleet
):
    _full(model, api_factory, poll_config)
    before = model.snapshot_info()

    polling.poll_fleet(
        model=model, api_factory=api_factory, config=poll_config, mode=polling.INCREMENTAL
    )

    after = model.snapshot_info()
    assert after.as_of > before.as_of
    assert after.version == before.version


def test_a_poll_caches_the_values_of_pending_entries(
    model, api_factory, poll_config, still_fleet, simulator
):
    with api_factory() as api:
        upstream = [d for d in api.iter_devices(limit=100, pending=True) if d.pending_settings]
    assert any(p.value for d in upstream for p in d.pending_settings)

    _full(model, api_factory, poll_config)

    cached = {d.id: model.get_device(d.id).device.pending_settings for d in upstream}
    assert cached == {d.id: d.pending_settings for d in upstream}


def test_the_profile_snapshot_keeps_every_field_of_every_profile(model, api_factory, still_fleet):
    polling.poll_profiles(model=model, api_factory=api_factory)

    with api_factory() as api:
        upstream = [api.get_profile(p.id) for p in api.iter_profiles()]
    assert upstream and model.read_profiles().items == upstream
