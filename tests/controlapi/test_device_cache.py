"""The cache form of a device: `device_cache_from_api` (the poller's one-step path) gives
exactly what `Device.from_api(raw).to_cache()` gives, whatever the upstream sends, and
the cache form reads back as the same device."""

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlapi.records import Device, device_cache_from_api

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
moments = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
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
