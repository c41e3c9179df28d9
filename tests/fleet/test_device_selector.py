"""The one selector of rules and maintenance windows."""

from controlapi.records import Device
from fleet.device_selector import DeviceSelector


def device(**fields):
    base = {
        "id": 1,
        "name": "CPE-Chapinero-01",
        "serial_number": "ZQ0011",
        "organization_id": 5,
        "type": 7,
    }
    return Device(**(base | fields))


def test_nothing_set_matches_every_device():
    assert DeviceSelector().matches(device())


def test_every_part_narrows():
    s = DeviceSelector(organization_id=5, type_id=7, pattern="chapinero")
    assert s.matches(device())
    assert not s.matches(device(organization_id=6))
    assert not s.matches(device(type=8))
    assert not s.matches(device(name="CPE-Usaquen-01"))


def test_pattern_is_a_case_insensitive_substring_or_a_wildcard_over_name_or_serial():
    assert DeviceSelector(pattern="ZQ00").matches(device())
    assert DeviceSelector(pattern="cpe-*-01").matches(device())
    assert not DeviceSelector(pattern="cpe-*-02").matches(device())
    assert DeviceSelector(pattern="zq????").matches(device())
    assert not DeviceSelector(pattern="chapinero*").matches(
        device()
    )  # a wildcard is the whole value


def test_device_ids_pick_those_devices_only():
    s = DeviceSelector(device_ids=frozenset({2, 3}))
    assert not s.matches(device(id=1)) and s.matches(device(id=3))


def test_round_trip_and_words():
    s = DeviceSelector(organization_id=5, pattern="CPE-*", device_ids=frozenset({3, 1}))
    assert DeviceSelector.from_dict(s.to_dict()) == s
    assert s.describe() == 'devices 1, 3, organization 5, name or serial "CPE-*"'
    assert DeviceSelector().describe() == "every device"
