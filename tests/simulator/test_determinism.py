"""The same seed and size give the same fleet; a different seed another one."""

import requests

from simulator import catalog
from simulator.fleet import generate_devices
from simulator.server import SimulatorServer

ANCHOR = 1_700_000_000.0
ORGS = catalog.organizations(6)
TIME_FIELDS = {"status_change", "last_connection", "last_configuration", "created"}


def _fleet_pages(seed: int) -> list[dict]:
    with SimulatorServer(devices=150, seed=seed, tokens={"t": None}, latency_ms=0) as sim:
        response = requests.get(
            f"{sim.api_url}/inventory_device/",
            params={"limit": 100, "offset": 0},
            headers={"Authorization": "Bearer t"},
            timeout=10,
        )
        items = response.json()["results"]
    # Times are generated relative to the moment the fleet was made.
    return [{k: v for k, v in item.items() if k not in TIME_FIELDS} for item in items]


def test_same_seed_serves_the_same_fleet():
    assert _fleet_pages(seed=3) == _fleet_pages(seed=3)


def test_another_seed_serves_another_fleet():
    assert _fleet_pages(seed=3) != _fleet_pages(seed=4)


def test_same_seed_and_anchor_generate_identical_devices():
    assert generate_devices(9, 200, ANCHOR, ORGS) == generate_devices(9, 200, ANCHOR, ORGS)


def test_a_smaller_fleet_is_a_prefix_of_a_larger_one():
    small = generate_devices(9, 50, ANCHOR, ORGS)
    assert generate_devices(9, 200, ANCHOR, ORGS)[:50] == small


def test_fleet_has_about_two_percent_never_connected_devices():
    fleet = generate_devices(1, 5000, ANCHOR, ORGS)
    never = sum(1 for d in fleet if d.last_connection is None)
    assert 0.01 * 5000 < never < 0.03 * 5000


def test_every_default_organization_has_devices_and_sizes_differ():
    fleet = generate_devices(1, 5000, ANCHOR, ORGS)
    sizes = {org.id: sum(1 for d in fleet if d.organization_id == org.id) for org in ORGS}
    assert {5, 7} <= set(sizes)
    assert min(sizes.values()) > 0
    assert sizes[5] > 3 * sizes[23]


def test_devices_stay_in_their_organizations_sites():
    for device in generate_devices(2, 500, ANCHOR, ORGS):
        site = catalog.LOCATIONS_BY_NAME[device.location_name]
        assert site.organization_id == device.organization_id
