"""The indexed search answers exactly what a plain scan of the search texts answers:
over whole fleets, with every other filter, a tenant's organizations, sort and paging,
and after in-place writes (renames, new devices, removals)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlapi.records import Device
from fleet.read_model import ReadModel
from fleet.store import search_index, search_publish
from fleet.store.indexes import index_entry, normalise_search
from fleet.store.queries import DeviceQuery

T0 = datetime(2025, 3, 1, tzinfo=UTC)
# Few letters, so that needles drawn at random match some devices; upper case, spaces,
# separators and letters whose lower case is longer or not ASCII.
LETTERS = "abAB -.1\tİßΣé字"
field = st.none() | st.text(alphabet=LETTERS, max_size=8)
needle = st.text(alphabet=LETTERS, min_size=1, max_size=5)


@st.composite
def fleets(draw):
    ids = draw(st.lists(st.integers(1, 5_000), min_size=1, max_size=40, unique=True))
    return [
        Device(
            id=i,
            name=draw(st.text(alphabet=LETTERS, max_size=8)),
            serial_number=draw(st.text(alphabet=LETTERS, max_size=8)),
            customer_id=draw(field),
            location_name=draw(field),
            address=draw(field),
            status=draw(st.sampled_from(["Up", "Down"])),
            organization_id=draw(st.sampled_from([1, 2, 3])),
            status_change=T0,
            last_connection=T0,
        )
        for i in ids
    ]


def _publish(model, devices):
    builder = model.new_snapshot(T0, abandon_after=timedelta(minutes=5))
    builder.add([d.to_cache() for d in devices])
    builder.publish()


def _scan(devices, text, status=None, org_ids=None):
    """The devices a plain scan of the search texts finds, in name order."""
    wanted = normalise_search(text)
    found = [
        d
        for d in devices
        if wanted in index_entry(d).search_text
        and (status is None or (d.status == "Up") == status)
        and (org_ids is None or d.organization_id in org_ids)
    ]
    return [d.id for d in sorted(found, key=lambda d: (d.name.casefold(), d.id))]


def _search(model, text, status=None, org_ids=None, offset=0, limit=500):
    page = model.query(DeviceQuery(search=text, status=status, offset=offset, limit=limit), org_ids)
    return [d.id for d in page.items], page.total


def _needles(data, devices):
    """Needles taken from the devices' fields (whole, parts, across two fields) and
    at random."""
    texts = [index_entry(d).search_text for d in devices]
    text = data.draw(st.sampled_from(texts))
    start = data.draw(st.integers(0, len(text)))
    part = text[start : start + data.draw(st.integers(1, 6))]
    return [part, part.upper(), part.replace("\x1f", ""), data.draw(needle)]


@pytest.fixture
def fresh_model(redis_client, key_prefix):
    """A model on a prefix of its own per call (each hypothesis example gets one)."""
    return lambda: ReadModel(redis_client, f"{key_prefix}{uuid.uuid4().hex[:8]}:")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(devices=fleets(), data=st.data(), per_block=st.sampled_from([1, 2, 16]))
def test_indexed_search_finds_what_a_scan_finds(fresh_model, monkeypatch, devices, data, per_block):
    # One device per block makes sparse postings (lists); sixteen, dense (bitmaps).
    monkeypatch.setattr(search_index, "BLOCK_DEVICES", per_block)
    model = fresh_model()
    _publish(model, devices)

    for text in _needles(data, devices):
        if not normalise_search(text):
            continue
        assert _search(model, text) == (_scan(devices, text), len(_scan(devices, text)))
        status = data.draw(st.sampled_from([None, True, False]))
        orgs = data.draw(st.sampled_from([None, frozenset({1}), frozenset({2, 3})]))
        expected = _scan(devices, text, status, orgs)
        ids, total = _search(model, text, status, orgs, offset=1, limit=2)
        assert (ids, total) == (expected[1:3], len(expected))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(devices=fleets(), data=st.data(), per_block=st.sampled_from([1, 16]))
def test_indexed_search_follows_in_place_writes(fresh_model, monkeypatch, devices, data, per_block):
    monkeypatch.setattr(search_index, "BLOCK_DEVICES", per_block)
    model = fresh_model()
    _publish(model, devices)
    current = {d.id: d for d in devices}

    # Renames and moves (an incremental poll or an edit), devices new since the full
    # poll, and removals.
    changed = []
    for d in data.draw(st.lists(st.sampled_from(devices), max_size=5, unique_by=lambda d: d.id)):
        changed.append(
            Device(
                id=d.id,
                name=data.draw(st.text(alphabet=LETTERS, max_size=8)),
                serial_number=d.serial_number,
                location_name=data.draw(field),
                address=d.address,
                status=d.status,
                organization_id=d.organization_id,
                status_change=T0,
                last_connection=T0,
            )
        )
    added = [
        Device(id=10_000 + n, name=data.draw(st.text(alphabet=LETTERS, max_size=8)),
               serial_number="", customer_id=data.draw(field), status="Up", organization_id=1,
               status_change=T0, last_connection=T0)
        for n in range(data.draw(st.integers(0, 3)))
    ]  # fmt: skip
    model.update_devices([*changed, *added], observed_at=T0)
    current.update({d.id: d for d in [*changed, *added]})
    gone = data.draw(st.lists(st.sampled_from(sorted(current)), max_size=3, unique=True))
    model.remove_devices(gone)
    for i in gone:
        del current[i]

    fleet = list(current.values())
    needles = [d.name for d in [*changed, *added]]
    if fleet:
        needles += _needles(data, fleet)
    for text in needles:
        if normalise_search(text):
            ids, total = _search(model, text)
            assert (ids, total) == (_scan(fleet, text), len(_scan(fleet, text)))


def _device(i, name, serial_number="", **fields):
    return Device(id=i, name=name, serial_number=serial_number, status="Up", organization_id=1,
                  status_change=T0, last_connection=T0, **fields)  # fmt: skip


def test_a_needle_spanning_two_fields_matches_nothing(model):
    _publish(model, [_device(1, "Core", serial_number="SN9", location_name="Lisbon")])

    assert _search(model, "coresn9") == ([], 0)
    assert _search(model, "core sn9") == ([], 0)
    assert _search(model, "sn9lis") == ([], 0)
    assert _search(model, "e") == ([1], 1)
    assert _search(model, "SN9") == ([1], 1)


def test_a_renamed_device_is_found_by_its_new_name_at_once(model):
    _publish(model, [_device(i, f"edge-{i}") for i in range(1, 50)])
    assert _search(model, "zurich") == ([], 0)

    model.update_devices([_device(7, "Zurich Edge")], observed_at=T0)

    assert _search(model, "zurich") == ([7], 1)
    # Its old name's grams stay posted; the candidate is verified and dropped.
    assert _search(model, "edge-7") == ([], 0)


def test_a_needle_whose_grams_no_device_holds_finds_nothing_without_scanning(model):
    _publish(model, [_device(i, f"edge-{i}") for i in range(1, 50)])
    info = model.snapshot_info()
    # The text blocks are gone: a scan would still find nothing, but so does the index,
    # which does not read them for a gram it does not hold.
    model.client.set(model.keys.text(info.generation, 0), "qqq\t1\n")

    assert _search(model, "qqq") == ([], 0)


def test_without_an_index_a_search_scans_every_block(model):
    # A generation published before the index existed has no grams: its searches scan.
    _publish(model, [_device(i, f"edge-{i}") for i in range(1, 50)])
    g = model.snapshot_info().generation
    model.client.delete(model.keys.grams(g))

    assert _search(model, "edge-4") == (_scan([_device(i, f"edge-{i}") for i in range(1, 50)],
                                               "edge-4"), 11)  # fmt: skip


def test_postings_are_lists_when_sparse_and_bitmaps_when_dense():
    assert search_index.encode_posting([3, 700], 1_000) == b"L\x00\x03\x02\xbc"
    dense = search_index.encode_posting(list(range(0, 16, 2)), 16)
    assert dense == b"B\x55\x55"


def test_the_block_count_follows_the_fleet():
    assert search_index.block_count(0) == 1
    assert search_index.block_count(17) == 2
    assert search_index.block_count(100_000) == 6_250
    assert search_index.block_count(10**7) == search_index.MAX_BLOCKS


# --- a full poll taking the previous generation's index over (search_publish) ---------


def _grams_of(model, g):
    return model.client.hgetall(model.keys.grams(g))


def _stale(model):
    g = model.snapshot_info().generation
    return int(model.client.hget(model.keys.digests(g), "stale"))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(devices=fleets(), data=st.data(), per_block=st.sampled_from([1, 16]))
def test_a_poll_taking_the_index_over_finds_what_a_scan_finds(
    fresh_model, monkeypatch, devices, data, per_block
):
    monkeypatch.setattr(search_index, "BLOCK_DEVICES", per_block)
    monkeypatch.setattr(search_publish, "STALE_SHARE", 1.0)
    model = fresh_model()
    _publish(model, devices)
    first = model.snapshot_info().generation

    # The next full poll: the same ids (so as many blocks), some renamed or moved.
    renamed = {
        d.id: Device(
            id=d.id, name=data.draw(st.text(alphabet=LETTERS, max_size=8)),
            serial_number=d.serial_number, location_name=data.draw(field), address=d.address,
            status=d.status, organization_id=d.organization_id, status_change=T0,
            last_connection=T0,
        )
        for d in data.draw(st.lists(st.sampled_from(devices), max_size=5, unique_by=lambda d: d.id))
    }  # fmt: skip
    fleet = [renamed.get(d.id, d) for d in devices]
    _publish(model, fleet)

    assert model.client.exists(model.keys.grams(first)) == 0  # taken over
    needles = [d.name for d in renamed.values()] + [d.name for d in devices[:3]]
    for text in [*needles, *_needles(data, fleet)]:
        if normalise_search(text):
            assert _search(model, text) == (_scan(fleet, text), len(_scan(fleet, text)))


def test_an_unchanged_fleet_takes_the_index_over_as_it_was(model):
    fleet = [_device(i, f"edge-{i:03}") for i in range(1, 200)]
    _publish(model, fleet)
    first = model.snapshot_info().generation
    grams = _grams_of(model, first)

    _publish(model, fleet)

    second = model.snapshot_info().generation
    assert model.client.exists(model.keys.grams(first)) == 0
    assert _grams_of(model, second) == grams
    assert _stale(model) == 0
    assert _search(model, "edge-019") == ([19], 1)


def test_a_renamed_device_is_found_by_its_new_name_after_the_index_is_taken_over(model):
    fleet = [_device(i, f"edge-{i:03}") for i in range(1, 200)]
    _publish(model, fleet)

    _publish(model, [_device(7, "Zurich Edge"), *fleet[:6], *fleet[7:]])

    assert _search(model, "zurich") == ([7], 1)
    assert _search(model, "edge-007") == ([], 0)
    assert _stale(model) == 1  # its block may hold grams of "edge-007" in vain


def test_the_index_is_built_afresh_once_too_many_blocks_changed(model):
    fleet = [_device(i, f"edge-{i:03}") for i in range(1, 200)]  # 13 blocks
    _publish(model, fleet)
    _publish(model, [_device(7, "Zurich Edge"), *fleet[:6], *fleet[7:]])
    assert _stale(model) == 1

    # Two more changed blocks: 3 of 13 is more than an eighth.
    _publish(model, [_device(i, f"core-{i}") if i in (7, 8, 9) else d for i, d in
                     ((d.id, d) for d in fleet)])  # fmt: skip

    g = model.snapshot_info().generation
    assert _stale(model) == 0
    # The grams only "Zurich Edge" had are gone with it.
    assert model.client.hget(model.keys.grams(g), b"zur") is None
    assert _search(model, "core-") == ([7, 8, 9], 3)


def test_a_fleet_of_another_size_builds_its_own_index(model):
    _publish(model, [_device(i, f"edge-{i:03}") for i in range(1, 200)])
    first = model.snapshot_info().generation

    _publish(model, [_device(i, f"edge-{i:03}") for i in range(1, 400)])  # more blocks

    assert model.client.exists(model.keys.grams(first)) == 1  # left to its generation
    assert _search(model, "edge-399") == ([399], 1)


def test_an_in_place_write_racing_the_take_over_is_kept(model, monkeypatch):
    fleet = [_device(i, f"edge-{i:03}") for i in range(1, 200)]
    _publish(model, fleet)
    merge = search_index.with_blocks
    raced = []

    def write_meanwhile(*args):
        # After the publisher watched the index and before its transaction: an
        # incremental poll renames device 5 in the current generation, posting its grams.
        if not raced:
            raced.append(True)
            model.update_devices([_device(5, "Oslo Edge")], observed_at=T0)
        return merge(*args)

    monkeypatch.setattr(search_index, "with_blocks", write_meanwhile)
    _publish(model, [_device(7, "Zurich Edge"), *fleet[:6], *fleet[7:]])

    assert raced
    assert _search(model, "zurich") == ([7], 1)
    # The next full poll brings device 5's new name; the index holds its grams already.
    monkeypatch.setattr(search_index, "with_blocks", merge)
    _publish(model, [_device(5, "Oslo Edge"), _device(7, "Zurich Edge"),
                     *(d for d in fleet if d.id not in (5, 7))])  # fmt: skip
    assert _search(model, "oslo") == ([5], 1)
