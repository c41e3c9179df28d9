"""The cache form of a device: `device_cache_from_api` (the poller's one-step path) gives
exactly what `Device.from_api(raw).to_cache()` gives, whatever the upstream sends, and
the cache form reads back as the same device."""

import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlapi import ControlAPI, records
from controlapi.device_pages import read_device_cache_page
from controlapi.pages import page_from_payload
from controlapi.records import Device, device_cache_from_api, device_list_from_json
from tests.conftest import ALL_TOKEN

# --- what an upstream device record may hold ------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
# A day inside the range at both ends, so that any offset below keeps a valid date.
moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
offsets = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=3))]
)
timestamps = st.one_of(
    # The upstream's own form, which has a fast path: "YYYY-MM-DDTHH:MM:SSZ".
    moments.map(lambda m: m.strftime("%Y-%m-%dT%H:%M:%SZ").rjust(20, "0")),
    st.builds(lambda m, tz: m.astimezone(tz).isoformat(), moments, offsets),  # offsets, fractions
    moments.map(lambda m: m.replace(tzinfo=None).isoformat()),  # naive: read as UTC
    moments.map(lambda m: m.strftime("%Y%m%dT%H%M%SZ")),  # basic format, also ISO-8601
    st.sampled_from(["", "yesterday", "2024-13-01T00:00:00Z", "2024-01-15T24:00:00Z",
                     "2024-01-15T09:30:1.Z", "２０24-01-15T09:30:15Z", "2024-01-15 09:30:15Z"]),
    json_scalars,
)  # fmt: skip
decimals = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["40.7128", "-74.0060", "1e2", "north", "", " 1.5 "]),
    json_scalars,
)
strings = st.one_of(st.text(max_size=20), json_scalars)
ints = st.one_of(
    st.integers(min_value=-(2**40), max_value=2**40),
    st.from_regex(r"-?\d{1,6}", fullmatch=True),
    json_scalars,
)
flags = st.one_of(
    st.sampled_from([True, False, 0, 1, "true", "No", " yes ", "maybe"]), json_scalars
)
pending = st.one_of(
    st.none(),
    st.lists(st.sampled_from(["reboot", "firmware_update:pending", "sync: now ", ":x", ""]),
             max_size=4).map(",".join),
    st.lists(st.text(max_size=8), max_size=3),
    st.dictionaries(st.text(max_size=6), st.none() | st.text(max_size=6), max_size=3),
)  # fmt: skip

FIELDS = {
    "uuid": strings, "name": strings, "customer_id": strings, "is_active": flags,
    "status": st.sampled_from(["Up", "Down", "up", " DOWN ", "1", "Rebooting"]) | json_scalars,
    "status_change": timestamps, "type": ints, "type_short_name": strings,
    "software_version": strings, "hardware_version": strings, "manufacturer": strings,
    "serial_number": strings, "serial_number_alt": strings, "description": strings,
    "organization_id": ints, "location_name": strings, "location": ints,
    "location_short_name": strings, "latitude": decimals, "longitude": decimals,
    "address": strings, "last_connection": timestamps, "last_configuration": timestamps,
    "created": timestamps, "last_change": timestamps, "unique_identifier": strings,
    "product_class": strings, "firmware_image": ints, "firmware_image_is_pending": flags,
    "username": strings, "update_frequency": ints, "debug": flags, "pending_settings": pending,
    # Fields the client does not know: kept, unless they look like credentials.
    "password": strings, "acs_url": json_values, "api_token": strings, "Client_Secret": strings,
    "tags": json_values,
}  # fmt: skip


@st.composite
def raw_devices(draw):
    """A device record as an upstream of either shape might send it: any field missing,
    null or odd, the id an int or a string of digits."""
    present = draw(st.sets(st.sampled_from(sorted(FIELDS))))
    raw = {name: draw(FIELDS[name]) for name in sorted(present)}
    raw["id"] = draw(
        st.integers(min_value=1, max_value=2**31) | st.from_regex(r"[1-9]\d{0,8}", fullmatch=True)
    )
    return raw


PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(raw_devices())
def test_cache_from_api_is_exactly_from_api_then_to_cache(raw):
    expected = Device.from_api(raw).to_cache()
    got = device_cache_from_api(raw)
    assert got == expected
    assert list(got) == list(expected)  # the same JSON, key order included


@PROPERTY
@given(raw_devices())
def test_cache_form_reads_back_as_the_same_device(raw):
    device = Device.from_api(raw)
    assert Device.from_cache(json.loads(json.dumps(device_cache_from_api(raw)))) == device


@PROPERTY
@given(raw_devices())
def test_no_credential_reaches_the_cache(raw):
    cached = device_cache_from_api(raw)
    assert "password" not in cached and "password" not in cached["extra"]
    assert not {"api_token", "Client_Secret"} & cached["extra"].keys()


@PROPERTY
@given(raw_devices())
def test_every_time_in_the_cache_is_aware_iso_8601(raw):
    cached = device_cache_from_api(raw)
    for name in (
        "status_change",
        "last_connection",
        "last_configuration",
        "created",
        "last_change",
    ):
        if cached[name] is not None:
            assert datetime.fromisoformat(cached[name]).tzinfo is not None


def test_upstream_time_keeps_its_instant_in_the_cache():
    cached = device_cache_from_api({"id": 1, "created": "2024-01-15T09:30:15Z",
                                    "last_change": "2024-01-15T10:00:00+02:00"})  # fmt: skip
    assert cached["created"] == "2024-01-15T09:30:15+00:00"
    assert cached["last_change"] == "2024-01-15T10:00:00+02:00"


def test_cache_has_one_key_per_device_field():
    assert list(Device.from_api({"id": 1}).to_cache()) == [
        f.name for f in dataclasses.fields(Device)
    ]


@pytest.mark.parametrize("raw", [{"name": "orphan"}, {"id": None}, {"id": "x"}, ["id", 1], None])
def test_a_record_without_an_id_or_not_an_object_is_refused_by_both_paths(raw):
    with pytest.raises(ValueError):
        Device.from_api(raw)
    with pytest.raises(ValueError):
        device_cache_from_api(raw)


# --- the compiled reader of whole device-list bodies ------------------------------

# Values of the classes the compiled reader takes as they are (`_LISTED_CLASSES`), by
# the field's kind, so that most drawn devices are ones it reads. Fields of the other
# kinds (status, times, decimals, pending settings) go through readers on both paths
# and are drawn as odd as ever.
WELL_FORMED_OF_KIND = {
    "str": st.none() | st.text(max_size=12),
    "text": st.text(max_size=20),
    "flag": st.booleans(),
    "int": st.none() | st.integers(-(2**63), 2**63 - 1),
    "bool": st.none() | st.booleans(),
}
WELL_FORMED = {
    name: WELL_FORMED_OF_KIND[kind]
    for name, kind in records._DEVICE_KINDS
    if kind in WELL_FORMED_OF_KIND
}
UNKNOWN = ("password", "acs_url", "api_token", "Client_Secret", "tags")


@st.composite
def listed_devices(draw):
    """A device of a list answer: usually well-formed (the common case), sometimes odd
    in one field, unknown fields or a string id now and then."""
    present = draw(st.sets(st.sampled_from(sorted(FIELDS))))
    raw = {}
    for name in sorted(present):
        if name in UNKNOWN and draw(st.integers(0, 10)):
            continue  # unknown fields: rare
        odd = name not in WELL_FORMED or draw(st.integers(0, 30)) == 0
        raw[name] = draw(FIELDS[name] if odd else WELL_FORMED[name])
    raw["id"] = draw(st.integers(min_value=1, max_value=2**31) | st.just("42"))
    return raw


def _general_path(body):
    """What the general path makes of a body: Device records and their cache forms, and
    the ids of the devices set aside because their cache form does not encode (orjson
    refuses an integer beyond 64 bits, as the store would)."""
    page = page_from_payload(orjson.loads(body), Device.from_api)
    kept, set_aside = [], []
    for device in page.items:
        try:
            orjson.dumps(device.to_cache())
        except TypeError:
            set_aside.append(device.id)
            continue
        kept.append((device, device.to_cache()))
    return dataclasses.replace(page, items=tuple(kept), set_aside=tuple(set_aside))


def _as_read(page):
    """A page of CacheRows as the general path's pairs, after checking that each row's
    JSON has the cache form's keys in order, and that its device holds what the row
    reads back as: the same values as that Device (decimals as their text) for the
    compiled reader's record, the same dict for the general path's."""
    items = []
    for device, row in page.items:
        cached = orjson.loads(row)
        assert list(cached) == [*DEVICE_FIELDS, "extra"]
        stored = Device.from_cache(cached)
        if isinstance(device, dict):
            assert device == cached
        else:
            for name in DEVICE_FIELDS:
                value = getattr(stored, name)
                value = str(value) if isinstance(value, Decimal) else value
                assert getattr(device, name) == value, name
        items.append((stored, stored.to_cache()))
    set_aside = tuple(record.device_id for record in page.set_aside)
    return dataclasses.replace(page, items=tuple(items), set_aside=set_aside)


DEVICE_FIELDS = [f.name for f in dataclasses.fields(Device) if f.name != "extra"]


@PROPERTY
@given(
    st.lists(listed_devices(), max_size=4),
    st.none() | st.integers(0, 10**6) | st.just("many"),
    st.none() | st.just("https://control.zequenze.com/api/v1/inventory_device/?limit=2&offset=2"),
)
def test_compiled_reader_reads_a_body_exactly_as_the_general_path(devices, count, next_link):
    body = orjson.dumps({"count": count, "next": next_link, "previous": None, "results": devices})
    expected = _general_path(body)  # a device with a value too large is set aside
    got = _as_read(read_device_cache_page(body))  # the compiled reader, unless it declines
    assert got == expected


@pytest.mark.parametrize(
    "hostile, why",
    [({"type": 123456789012345678901234567890}, "type is not a number"),
     ({"update_frequency": "9" * 30}, "update_frequency is not a number"),
     ({"organization_id": 1e300}, "organization_id is not a number"),
     ({"name": "\ud800"}, "name is not text")],
)  # fmt: skip
def test_a_device_the_store_cannot_hold_is_set_aside_and_the_page_read(hostile, why):
    devices = [{"id": 7, "name": "cpe-7"}, {"id": 8, "name": "cpe-8"}, {"id": 9, "name": "cpe-9"}]
    devices[1].update(hostile)
    body = json.dumps({"count": 3, "results": devices}).encode()

    page = read_device_cache_page(body)

    assert [row.device["id"] for row in page.items] == [7, 9]
    assert [str(record) for record in page.set_aside] == [f"id 8: {why} the dashboard can store"]


def test_a_record_without_an_id_is_set_aside_and_the_page_read():
    body = orjson.dumps({"count": 3, "results": [{"id": 7}, {"name": "orphan"}, ["id", 9]]})

    page = read_device_cache_page(body)

    assert [row.device["id"] for row in page.items] == [7]
    assert [record.device_id for record in page.set_aside] == [None, None]
    assert "without an id" in page.set_aside[0].reason


def test_compiled_reader_reads_the_simulators_pages(simulator, sim_control):
    """The common case really takes the compiled path: a whole page of the simulator's
    fleet, with pending settings, as the poller asks for it."""
    bodies = []
    with ControlAPI(simulator.api_url, ALL_TOKEN) as api:
        api.read_device_page(bodies.append, update_status=True, pending=True, limit=100)
    listed = device_list_from_json(bodies[0])
    assert listed is not None and len(listed["results"]) == 100
    assert any(device.pending_settings for device, _ in listed["results"])
    assert _as_read(read_device_cache_page(bodies[0])) == _general_path(bodies[0])


@pytest.mark.parametrize(
    "change",
    [{"name": None}, {"password": "hunter2"}, {"tags": ["a"]}, {"is_active": "yes"},
     {"id": "7"}, {"organization_id": 5.0}],
)  # fmt: skip
def test_compiled_reader_leaves_odd_devices_to_the_general_path(change):
    device = {"id": 7, "name": "cpe-7", "status": "Up", "is_active": True, **change}
    body = orjson.dumps({"count": 1, "results": [device]})
    assert device_list_from_json(body) is None
    assert _as_read(read_device_cache_page(body)) == _general_path(body)


def test_pages_taking_the_general_path_are_reported_once_with_the_reason(monkeypatch, caplog):
    monkeypatch.setattr(records, "_general_path_noted", False)
    body = orjson.dumps({"count": 1, "results": [{"id": 7, "name": "cpe-7", "vlan": 12}]})

    with caplog.at_level(logging.INFO, logger="controlapi"):
        read_device_cache_page(body)
        read_device_cache_page(body)

    said = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(said) == 1
    assert "general path" in said[0].getMessage() and "vlan" in said[0].getMessage()
