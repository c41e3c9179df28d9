"""The device record against the contract: the reference page's examples and the
simulator's records, varied in every way the contract tolerates, read as the record the
contract says; any record, however odd, stored and read back as the same record; and a
whole list body read straight into records gives what reading it record by record gives."""

import json
import logging
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from controlapi import ControlAPI, device_pages
from controlapi.device_pages import read_device_cache_page
from controlapi.pages import page_from_payload
from controlapi.records import (
    Device,
    PendingSetting,
    UnstorableDevice,
    decode_device,
    storable_row,
)
from tests.controlapi.contract_examples import DETAIL, LIST_ITEM, NEVER_CONNECTED
from tests.fixtures.simulator import ALL_TOKEN

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


PROPERTY = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
DEVICE_FIELDS = [f.name for f in msgspec.structs.fields(Device) if f.name != "extra"]
TIMES = ("status_change", "last_connection", "last_configuration", "created", "last_change")
COORDINATES = ("latitude", "longitude")
INTS = ("type", "organization_id", "location", "firmware_image", "update_frequency")
FLAGS = ("is_active", "firmware_image_is_pending", "debug")


# --- the contract's examples, read as the contract says ---------------------------

READ_DETAIL = Device(
    id=1001,
    uuid="550e8400-e29b-41d4-a716-446655440001",
    name="Router-Branch-Office-001",
    customer_id="CUST-2024-001",
    is_active=True,
    status="Up",
    status_change=datetime(2024, 1, 15, 9, 30, 15, tzinfo=UTC),
    type=12,
    type_short_name="enterprise_router",
    software_version="2.4.1",
    hardware_version="v1.2",
    manufacturer="Zequenze Systems",
    serial_number="ZEQ240100001",
    serial_number_alt="ALT-ZEQ240100001",
    description="Main branch office router",
    organization_id=5,
    location_name="New York Branch Office",
    location=25,
    location_short_name="ny_branch",
    latitude=Decimal("40.7128"),
    longitude=Decimal("-74.0060"),
    address="192.168.1.1",
    last_connection=datetime(2024, 1, 15, 14, 22, 30, tzinfo=UTC),
    last_configuration=datetime(2024, 1, 14, 10, 15, tzinfo=UTC),
    created=datetime(2024, 1, 10, 8, 0, tzinfo=UTC),
    last_change=datetime(2024, 1, 15, 12, 45, 20, tzinfo=UTC),
    unique_identifier="ZEQ:ENT:RTR:240100001",
    product_class="EnterpriseRouter",
    firmware_image=45,
    firmware_image_is_pending=True,
    username="device_admin",
    update_frequency=300,
    debug=False,
    pending_settings=(
        PendingSetting("firmware_update", "pending"),
        PendingSetting("reboot_scheduled", "2024-01-16T02:00:00Z"),
    ),
)


def well_formed_reading(raw: dict) -> Device:
    """The contract's reading of a well-formed record (every value of its documented
    type): the test's oracle for the examples, checked against READ_DETAIL below."""
    values = {name: raw[name] for name in DEVICE_FIELDS if name in raw and raw[name] is not None}
    for name in TIMES:
        if name in values:
            values[name] = datetime.fromisoformat(values[name])
    for name in COORDINATES:
        if name in values:
            values[name] = Decimal(values[name])
    pending = values.pop("pending_settings", "")
    entries = [entry.split(":", 1) for entry in pending.split(",") if entry]
    settings = tuple(PendingSetting(entry[0], entry[1] if len(entry) > 1 else None)
                     for entry in entries)  # fmt: skip
    return Device(**values, pending_settings=settings)


def test_the_oracle_reads_the_reference_example_as_the_contract_says():
    assert well_formed_reading(DETAIL) == READ_DETAIL


@pytest.mark.parametrize("example", [LIST_ITEM, DETAIL, NEVER_CONNECTED])
def test_the_reference_examples_are_read_stored_and_read_back_as_the_contract_says(example):
    expected = well_formed_reading(example)
    assert Device.from_api(example) == expected
    (row,) = read_device_cache_page(orjson.dumps({"count": 1, "results": [example]})).items
    assert row.device == expected and decode_device(row.json) == expected


@pytest.fixture(scope="module")
def simulator_records(simulator):
    bodies = []
    with ControlAPI(simulator.api_url, ALL_TOKEN) as api:
        api.read_device_page(bodies.append, update_status=True, pending=True, limit=100)
    return orjson.loads(bodies[0])["results"]


# Each variation: how the contract lets an upstream send a field differently, and what
# the record then holds. None for "what the example holds".
STATUS_WORDS = {
    "up": "Up", " UP ": "Up", "true": "Up", "1": "Up", True: "Up",
    "down": "Down", "false": "Down", "0": "Down", False: "Down", None: "Down",
}  # fmt: skip
FLAG_WORDS = {"true": True, "1": True, 1: True, "yes": True, "false": False, "0": False, 0: False}
DEFAULTS = {f.name: f.default for f in msgspec.structs.fields(Device)}


@st.composite
def tolerated_variation(draw, example: dict):
    """`example` changed in ways the contract tolerates, and the record it must read as."""
    raw = dict(example)
    expected = {name: getattr(well_formed_reading(example), name) for name in DEVICE_FIELDS}
    extra = {}
    for name in draw(st.sets(st.sampled_from(DEVICE_FIELDS[1:]), max_size=8)):
        how = draw(st.sampled_from(["missing", "null", "other form"]))
        if how == "missing":
            raw.pop(name, None)
            expected[name] = DEFAULTS[name]
        elif how == "null" or name not in raw:
            raw[name] = None
            expected[name] = DEFAULTS[name]
        elif name == "status":
            raw[name] = word = draw(st.sampled_from(list(STATUS_WORDS)))
            expected[name] = STATUS_WORDS[word]
        elif name in FLAGS and raw[name] is not None:
            raw[name] = word = draw(st.sampled_from(list(FLAG_WORDS)))
            expected[name] = FLAG_WORDS[word]
        elif name in INTS and raw[name] is not None:
            raw[name] = str(raw[name])
        elif name in TIMES and raw[name] is not None:
            moment = expected[name]
            raw[name] = draw(st.sampled_from([
                moment.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat(),
                moment.astimezone(timezone(-timedelta(hours=3))).isoformat(),
                moment.replace(tzinfo=None).isoformat(),  # no offset: UTC
            ]))  # fmt: skip
        elif name in COORDINATES and raw[name] is not None:
            raw[name] = float(raw[name])
            expected[name] = Decimal(str(raw[name]))
        elif name == "pending_settings" and raw[name]:
            pairs = expected[name]
            raw[name] = draw(st.sampled_from([
                [p.name if p.value is None else f"{p.name}:{p.value}" for p in pairs],
                {p.name: p.value for p in pairs},
            ]))  # fmt: skip
    if draw(st.booleans()):
        raw["id"] = str(raw["id"])
    unknown = [(), (("vlan", 12),), (("acs_url", "http://acs"), ("api_token", "t0k"),
                                     ("password", "pw"))]  # fmt: skip
    for name, value in draw(st.sampled_from(unknown)):
        raw[name] = value
        if name in ("vlan", "acs_url"):
            extra[name] = value
    return raw, Device(**expected, extra=extra)


@PROPERTY
@given(data=st.data())
def test_the_contracts_examples_varied_as_it_tolerates_read_as_the_same_record(
    data, simulator_records
):
    example = data.draw(st.sampled_from([LIST_ITEM, DETAIL, NEVER_CONNECTED, *simulator_records]))
    raw, expected = data.draw(tolerated_variation(example))
    assert Device.from_api(raw) == expected
    (row,) = read_device_cache_page(orjson.dumps({"count": 1, "results": [raw]})).items
    assert row.device == expected and decode_device(row.json) == expected
    assert b"t0k" not in row.json and b'"pw"' not in row.json


# --- any record, however odd -------------------------------------------------------


@PROPERTY
@given(raw_devices())
@example({"id": 1, "acs_url": float("inf")})  # Python's JSON parser reads `Infinity`
@example({"id": 1, "acs_url": [float("nan")]})
def test_cache_form_reads_back_as_the_same_device(raw):
    device = Device.from_api(raw)
    try:
        row = storable_row(device)
    except UnstorableDevice:  # only an integer beyond 64 bits: the poll sets it aside
        assert any(_beyond_64_bits(getattr(device, name)) for name in ("id", *INTS))
        return
    assert decode_device(row) == device
    assert Device.from_cache(json.loads(json.dumps(device.to_cache()))) == device


def _beyond_64_bits(value: object) -> bool:
    return isinstance(value, int) and not -(2**63) <= value < 2**63


@PROPERTY
@given(raw_devices())
def test_no_credential_reaches_the_cache(raw):
    cached = Device.from_api(raw).to_cache()
    assert "password" not in cached and "password" not in cached["extra"]
    assert not {"api_token", "Client_Secret"} & cached["extra"].keys()


@PROPERTY
@given(raw_devices())
def test_every_time_in_the_cache_is_aware_iso_8601(raw):
    cached = Device.from_api(raw).to_cache()
    for name in TIMES:
        if cached[name] is not None:
            assert datetime.fromisoformat(cached[name]).tzinfo is not None


def test_upstream_time_keeps_its_instant_in_the_cache():
    cached = Device.from_api({"id": 1, "created": "2024-01-15T09:30:15Z",
                              "last_change": "2024-01-15T10:00:00+02:00"}).to_cache()  # fmt: skip
    assert cached["created"] == "2024-01-15T09:30:15Z"
    assert cached["last_change"] == "2024-01-15T10:00:00+02:00"


def test_cache_has_one_key_per_device_field():
    assert list(Device.from_api({"id": 1}).to_cache()) == [
        f.name for f in msgspec.structs.fields(Device)
    ]


@pytest.mark.parametrize("raw", [{"name": "orphan"}, {"id": None}, {"id": "x"}, ["id", 1], None])
def test_a_record_without_an_id_or_not_an_object_is_refused(raw):
    with pytest.raises(ValueError):
        Device.from_api(raw)


# --- whole device-list bodies --------------------------------------------------------

# Values of the types the record takes as they are, so that most drawn devices are
# well-formed (the common case, read straight into records); the other fields (status,
# times, coordinates, pending settings) are drawn as odd as ever.
WELL_FORMED = {
    **{name: st.none() | st.text(max_size=12) for name in (
        "uuid", "customer_id", "type_short_name", "software_version", "hardware_version",
        "manufacturer", "serial_number_alt", "description", "location_name",
        "location_short_name", "address", "unique_identifier", "product_class", "username")},
    "name": st.text(max_size=20), "serial_number": st.text(max_size=20),
    "is_active": st.booleans(),
    **{name: st.none() | st.integers(-(2**63), 2**63 - 1) for name in INTS},
    "firmware_image_is_pending": st.none() | st.booleans(), "debug": st.none() | st.booleans(),
}  # fmt: skip
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


def _record_by_record(body):
    """What reading a body's records one by one makes of it: Device records and their
    rows, and the ids of the devices set aside because the store cannot hold them (an
    integer beyond 64 bits)."""
    page = page_from_payload(orjson.loads(body), Device.from_api)
    kept, set_aside = [], []
    for device in page.items:
        if any(_beyond_64_bits(getattr(device, name)) for name in ("id", *INTS)):
            set_aside.append(device.id)
            continue
        kept.append(device)
    return page.count, page.next_offset, kept, set_aside


def _as_read(page):
    """A page of CacheRows as records, after checking that each row has the cache form's
    keys in order and reads back as its record."""
    for device, row in page.items:
        assert list(orjson.loads(row)) == [*DEVICE_FIELDS, "extra"]
        assert decode_device(row) == device
    set_aside = [record.device_id for record in page.set_aside]
    return page.count, page.next_offset, [device for device, _ in page.items], set_aside


@PROPERTY
@given(
    st.lists(listed_devices(), max_size=4),
    st.none() | st.integers(0, 10**6) | st.just("many"),
    st.none() | st.just("https://control.zequenze.com/api/v1/inventory_device/?limit=2&offset=2"),
)
def test_a_body_read_whole_gives_what_its_records_read_one_by_one_give(devices, count, next_link):
    body = orjson.dumps({"count": count, "next": next_link, "previous": None, "results": devices})
    assert _as_read(read_device_cache_page(body)) == _record_by_record(body)


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

    assert [row.device.id for row in page.items] == [7, 9]
    assert [str(record) for record in page.set_aside] == [f"id 8: {why} the dashboard can store"]


def test_a_record_without_an_id_is_set_aside_and_the_page_read():
    body = orjson.dumps({"count": 3, "results": [{"id": 7}, {"name": "orphan"}, ["id", 9]]})

    page = read_device_cache_page(body)

    assert [row.device.id for row in page.items] == [7]
    assert [record.device_id for record in page.set_aside] == [None, None]
    assert "without an id" in page.set_aside[0].reason


def test_the_simulators_pages_are_read_straight_into_records(simulator, sim_control):
    """The common case really decodes straight into records: a whole page of the
    simulator's fleet, with pending settings, as the poller asks for it."""
    bodies = []
    with ControlAPI(simulator.api_url, ALL_TOKEN) as api:
        api.read_device_page(bodies.append, update_status=True, pending=True, limit=100)
    listed = device_pages._listed_rows(bodies[0])
    assert listed is not None and len(listed["results"]) == 100
    assert any(device.pending_settings for device, _ in listed["results"])
    assert _as_read(read_device_cache_page(bodies[0])) == _record_by_record(bodies[0])


@pytest.mark.parametrize(
    "change",
    [{"name": None}, {"password": "hunter2"}, {"tags": ["a"]}, {"is_active": "yes"},
     {"id": "7"}, {"organization_id": 5.0}, {"extra": {"a": 1}}],
)  # fmt: skip
def test_odd_devices_are_read_record_by_record(change):
    device = {"id": 7, "name": "cpe-7", "status": "Up", "is_active": True, **change}
    body = orjson.dumps({"count": 1, "results": [device]})
    assert device_pages._listed_rows(body) is None
    assert _as_read(read_device_cache_page(body)) == _record_by_record(body)


def test_pages_read_record_by_record_are_reported_once_with_the_reason(monkeypatch, caplog):
    monkeypatch.setattr(device_pages, "_general_path_noted", False)
    body = orjson.dumps({"count": 1, "results": [{"id": 7, "name": "cpe-7", "vlan": 12}]})

    with caplog.at_level(logging.INFO, logger="controlapi"):
        read_device_cache_page(body)
        read_device_cache_page(body)

    said = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(said) == 1
    assert "general path" in said[0].getMessage() and "vlan" in said[0].getMessage()
