"""What a group of Down devices has in common."""

from controlapi.records import Device
from fleet.shared_facts import FIRMWARE, LOCATION, ORGANIZATION, TYPE, shared_facts


def devices(n, **fields):
    return [Device(id=i, **fields) for i in range(n)]


def test_facts_shared_by_most_most_widely_shared_first():
    group = devices(6, organization_id=5, type=7, software_version="2.1.4") + devices(
        4, organization_id=5, type=8, software_version="2.1.4", location_name="Bogotá"
    )
    facts = [(f.kind, f.value, f.count) for f in shared_facts(group)]
    assert facts == [(ORGANIZATION, 5, 10), (FIRMWARE, "2.1.4", 10), (TYPE, 7, 6)]
    assert shared_facts(group)[0].shared_by_all
    assert (LOCATION, "Bogotá", 4) in [
        (f.kind, f.value, f.count) for f in shared_facts(group, at_least=0.4)
    ]


def test_unknown_values_are_not_a_fact_and_no_devices_no_facts():
    assert shared_facts(devices(3)) == []
    assert shared_facts([]) == []


def test_a_value_of_one_device_is_nothing_shared():
    """Before, half of a pair was "most": two unrelated devices were headed with every fact
    of either ("1 organization Harbor Logistics · 1 type 21 · 1 location …")."""
    pair = [
        Device(id=1, organization_id=5, type=21, location_name="Bogota Suba Headend"),
        Device(id=2, organization_id=9, type=30, software_version="3.1.7"),
    ]
    assert shared_facts(pair) == []
    assert [(f.kind, f.count) for f in shared_facts([*pair, *devices(1, type=21)])] == [(TYPE, 2)]
