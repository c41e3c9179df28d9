"""Where a full poll stores its pages: worker processes build the same cache as the
poller's own process, a page that cannot be read is fetched again or fails the poll
in words, and a dead worker or an unreachable Redis fails the poll without losing
the previous snapshot."""

from datetime import UTC, datetime, timedelta

import msgspec
import orjson
import pytest

from controlapi import ControlAPI, errors
from fleet import polling
from fleet.page_writers import LocalWriter, PageWriters, writer_client
from fleet.read_model import ReadModel
from fleet.store.queries import DeviceQuery
from tests.fixtures.fleet import CLOSED_PORT_URL
from tests.fixtures.simulator import ALL_TOKEN


def _full(model, api_factory, poll_config, **kwargs):
    return polling.poll_fleet(
        model=model, api_factory=api_factory, config=poll_config, mode=polling.FULL, **kwargs
    )


def _generation_contents(client, model) -> dict:
    """Every key of the current generation and its value, keyed without the prefix and
    generation, so that two models' snapshots can be compared."""
    info = model.snapshot_info()
    marker = f"{model.keys.p}fleet:{info.generation}:"
    contents = {}
    for key in client.scan_iter(match=marker + "*"):
        name = key.decode()[len(marker) :]
        kind = client.type(key).decode()
        if kind == "hash":
            value = client.hgetall(key)
        elif kind == "set":
            value = client.smembers(key)
        elif kind == "zset":
            value = client.zrange(key, 0, -1, withscores=True)
        else:
            value = client.get(key)
        if name.startswith("text:"):
            # Search buckets hold one line per device; their order is not part of the model.
            value = sorted(value.split(b"\n"))
        contents[name] = value
    return contents


def test_worker_processes_store_pages_exactly_as_the_poller_itself_does(
    api_factory, still_fleet, redis_client, key_prefix, page_writer_processes
):
    # The same bodies for both (two polls would differ: update_status moves
    # last_connection on every answer).
    with api_factory() as api:
        bodies = [
            api.read_device_page(bytes, limit=25, offset=offset, update_status=True, pending=True)
            for offset in range(0, 300, 25)
        ]
    here = ReadModel(redis_client, key_prefix + "here:")
    there = ReadModel(redis_client, key_prefix + "there:")

    for model, writer in ((here, LocalWriter(redis_client)), (there, page_writer_processes)):
        builder = model.new_snapshot(datetime.now(UTC), abandon_after=timedelta(hours=1))
        prefix, g = model.keys.p, builder.generation
        for body in bodies:
            builder.adopt(writer.write(prefix, g, body).entries)
        builder.publish(write_names=lambda chunks: writer.write_names(prefix, g, chunks))  # noqa: B023

    mine = _generation_contents(redis_client, here)
    theirs = _generation_contents(redis_client, there)
    assert {"dev", "sort:name", "sort:status", "up", "down", "serial"} <= set(mine)
    assert len(mine["dev"]) == 300
    assert mine == theirs


def test_an_unreadable_page_is_fetched_again_and_the_poll_succeeds(
    simulator, model, poll_config, still_fleet, page_writers, all_devices
):
    still_fleet.set_faults(next_malformed=1, malformed="truncated", path="*/inventory_device/")

    def patient():
        return ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=2, backoff=0.01)

    report = _full(model, patient, poll_config, writers=page_writers)

    # Every page once, and the cut one once more.
    assert still_fleet.request_count("GET", "/api/v1/inventory_device/") == report.pages + 1
    assert report.devices == len(all_devices())


def test_an_unreadable_page_fails_the_poll_in_words_when_retries_are_spent(
    model, api_factory, poll_config, still_fleet, page_writers
):
    _full(model, api_factory, poll_config, writers=page_writers)
    before = model.snapshot_info()
    still_fleet.set_faults(malformed_rate=1.0, malformed="non_json")

    with pytest.raises(polling.PollFailed) as failure:
        _full(model, api_factory, poll_config, writers=page_writers)

    assert "could not be read" in str(failure.value)
    assert "previous snapshot is kept" in str(failure.value)
    assert model.snapshot_info() == before


def test_a_worker_killed_mid_poll_fails_the_poll_and_the_next_poll_starts_a_new_one(
    model, api_factory, poll_config, still_fleet, redis_client, key_prefix, redis_url
):
    writers = PageWriters(redis_url, processes=1)
    try:
        _full(model, api_factory, poll_config, writers=writers)
        before = model.snapshot_info()
        keys_before = set(redis_client.scan_iter(match=key_prefix + "fleet:*"))

        def kill_the_worker(pages_written):
            if pages_written == 2:
                for worker in list(writers._running):
                    worker.process.kill()
                    worker.process.wait()

        with pytest.raises(polling.PollFailed) as failure:
            _full(model, api_factory, poll_config, writers=writers, on_page=kill_the_worker)

        assert "page writer process stopped" in str(failure.value)
        assert model.snapshot_info() == before
        assert model.poll_health(polling.FLEET).last_error == str(failure.value)
        assert set(redis_client.scan_iter(match=key_prefix + "fleet:*")) <= keys_before | {
            (key_prefix + "fleet:seq").encode()
        }

        report = _full(model, api_factory, poll_config, writers=writers)
        assert report.devices == model.snapshot_info().devices == 300
    finally:
        writers.close()


def test_workers_that_cannot_reach_redis_fail_the_poll_in_words(
    model, api_factory, poll_config, still_fleet
):
    _full(model, api_factory, poll_config)
    before = model.snapshot_info()
    writers = PageWriters(f"redis://{CLOSED_PORT_URL}/0", processes=1)
    try:
        with pytest.raises(polling.PollFailed) as failure:
            _full(model, api_factory, poll_config, writers=writers)
    finally:
        writers.close()

    assert "A page writer failed: ConnectionError" in str(failure.value)
    assert model.snapshot_info() == before


# --- a device on two pages (the fleet shifted under the offsets mid-poll) ------------


def _raw(device_id, *, status="Up", organization_id=1, serial="S", changed_minutes=0):
    moment = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=changed_minutes)
    return {
        "id": device_id,
        "name": f"device {device_id}",
        "status": status,
        "organization_id": organization_id,
        "type": 1,
        "serial_number": f"{serial}{device_id}",
        "status_change": moment.isoformat(),
    }


def _body(*devices):
    return orjson.dumps({"count": 3, "next": None, "previous": None, "results": list(devices)})


@pytest.mark.parametrize("pool", [False, True], ids=["in the poller", "in worker processes"])
def test_a_device_on_two_pages_keeps_the_later_copy_whichever_write_lands_last(
    model, redis_client, redis_url, pool, page_writer_processes
):
    writer = page_writer_processes if pool else LocalWriter(redis_client)
    builder = model.new_snapshot(datetime.now(UTC), abandon_after=timedelta(hours=1))
    prefix, g = model.keys.p, builder.generation
    first = _body(_raw(1), _raw(2, status="Up", organization_id=1, serial="OLD"))
    later = _body(
        _raw(2, status="Down", organization_id=2, serial="NEW", changed_minutes=5), _raw(3)
    )

    # The later page's write lands first, the earlier page's last, as can happen
    # when pages are written concurrently; the poller adopts them in page order.
    written_later = writer.write(prefix, g, later)
    written_first = writer.write(prefix, g, first)
    assert builder.adopt(written_first.entries) is False
    assert builder.adopt(written_later.entries) is True
    writer.write(prefix, g, later)  # what the poller does when adopt says so
    builder.publish()

    device = model.get_device(2).device
    assert (device.status, device.organization_id) == ("Down", 2)
    assert model.find_serials(["OLD2", "NEW2"]) == {"NEW2": 2}
    assert model.query(DeviceQuery(status=True, limit=10), None).total == 2
    assert {d.id for d in model.query(DeviceQuery(status=False), None).items} == {2}
    assert model.query(DeviceQuery(organization=1), None).total == 2
    assert model.query(DeviceQuery(search="device 2"), None).total == 1
    changed = model.query(DeviceQuery(sort="status_change", descending=True, limit=1), None)
    assert changed.items[0].id == 2


def test_a_body_that_is_not_a_device_list_is_refused_before_anything_is_written(
    model, redis_client, key_prefix
):
    writer = LocalWriter(redis_client)
    builder = model.new_snapshot(datetime.now(UTC), abandon_after=timedelta(hours=1))

    with pytest.raises(errors.BadResponse, match="could not be read"):
        writer.write(model.keys.p, builder.generation, b'{"detail": "maintenance"}')

    assert not list(redis_client.scan_iter(match=f"{key_prefix}fleet:{builder.generation}:*"))
    builder.abandon()


def test_pages_the_compiled_reader_declines_are_stored_as_the_same_devices(
    api_factory, still_fleet, redis_client, key_prefix
):
    # A field the contract does not name sends a page to the client's general path,
    # whose devices reach write_page as cache dicts, not records: the snapshot must
    # hold the same devices, indexed the same way.
    with api_factory() as api:
        bodies = [
            api.read_device_page(bytes, limit=50, offset=offset, update_status=True, pending=True)
            for offset in range(0, 150, 50)
        ]
    odd_bodies = []
    for body in bodies:
        page = orjson.loads(body)
        for device in page["results"]:
            device["vlan"] = 12
        odd_bodies.append(orjson.dumps(page))
    writer = LocalWriter(redis_client)
    snapshots = {}
    for name, pages in (("compiled", bodies), ("general", odd_bodies)):
        model = ReadModel(redis_client, key_prefix + name + ":")
        builder = model.new_snapshot(datetime.now(UTC), abandon_after=timedelta(hours=1))
        for body in pages:
            builder.adopt(writer.write(model.keys.p, builder.generation, body).entries)
        builder.publish()
        snapshots[name] = model

    compiled, general = snapshots["compiled"], snapshots["general"]
    query = DeviceQuery(limit=200, sort="last_connection")
    assert [d.id for d in general.query(query, None).items] == [
        d.id for d in compiled.query(query, None).items
    ]
    stored = _generation_contents(redis_client, general)
    assert all(b'"vlan": 12' in row or b'"vlan":12' in row for row in stored["dev"].values())
    for device in compiled.query(query, None).items:
        again = general.get_device(device.id).device
        assert again.extra == {"vlan": 12}
        assert msgspec.structs.replace(again, extra=device.extra) == device
    assert {k: v for k, v in stored.items() if k != "dev"} == {
        k: v for k, v in _generation_contents(redis_client, compiled).items() if k != "dev"
    }


def test_the_writers_client_sends_every_kind_of_argument_as_redis_py_does(redis_url, key_prefix):
    # The writers' client packs commands itself (writer_client): what it stores must
    # read back as redis-py's own packer would have stored it.
    client = writer_client(redis_url)
    scores, row = key_prefix + "scores", key_prefix + "row"

    client.zadd(scores, {"7": 1.5, b"8": 2, "9": -1.0})
    client.hset(row, mapping={"json": b'{"id":7,"name":"caf\\u00e9"}', "n": 7, "name": "café"})
    client.execute_command("CLIENT SETNAME", "page-writer")  # a command named in two words

    assert client.zrange(scores, 0, -1, withscores=True) == [(b"9", -1.0), (b"7", 1.5), (b"8", 2.0)]
    assert client.hgetall(row) == {
        b"json": b'{"id":7,"name":"caf\\u00e9"}',
        b"n": b"7",
        b"name": "café".encode(),
    }
    assert client.client_getname() == "page-writer"  # (redis-py decodes this reply)
    client.close()
