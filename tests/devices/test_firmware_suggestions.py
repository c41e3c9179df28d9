"""The firmware update form suggests the images the cached devices of the device's type
report, within the organizations the user may update, and still takes any image id."""

import re

import pytest

from controlapi import ControlAPI
from devices import selectors
from simulator import catalog
from tests.fixtures.operations import writes
from tests.fixtures.simulator import ALL_TOKEN

pytestmark = pytest.mark.django_db


def suggestions(client, device_id):
    html = client.get(f"/devices/{device_id}/").content.decode()
    datalist = re.search(r'<datalist id="firmware-images">(.*?)</datalist>', html, re.S)
    assert datalist, "no image suggestions on the firmware form"
    assert 'list="firmware-images"' in html
    return dict(re.findall(r'<option value="(\d+)">([^<]*)</option>', datalist.group(1)))


@pytest.fixture
def same_type(fleet_devices, device_of_org):
    """(a device of org 5, another of its type in org 5, one of its type elsewhere)."""
    device = device_of_org(5)
    peers = [d for d in fleet_devices if d.type == device.type and d.id != device.id]
    mate = next(d for d in peers if d.organization_id == 5 and not d.pending_settings)
    stranger = next(d for d in peers if d.organization_id != 5 and not d.pending_settings)
    return device, mate, stranger


def test_the_firmware_form_offers_the_images_devices_of_that_type_report(
    cached_fleet, same_type, simulator, tenant_admin, noc, client_of
):
    device, mate, stranger = same_type
    images = [i.id for i in catalog.DEVICE_TYPES_BY_ID[device.type].firmware]
    with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
        reported = {d.id: api.get_device(d.id).firmware_image for d in (device, mate)}
        # Another organization's device is set to an image nobody in org 5 reports.
        other = next(i for i in images if i not in reported.values())
        api.schedule_firmware(stranger.id, other)
    for d in (device, mate, stranger):
        selectors.fetch_device(d.id)  # a detail read, as the page or an action makes
    offered = suggestions(client_of(tenant_admin), device.id)
    for image in reported.values():
        assert catalog.FIRMWARE_BY_ID[image].version in offered[str(image)]
    assert str(other) not in offered  # another organization's devices stay unseen
    assert str(other) in suggestions(client_of(noc), device.id)


def test_a_typed_image_id_that_is_not_suggested_is_still_sent(
    cached_fleet, same_type, tenant_admin, client_of
):
    device, _, _ = same_type
    image = catalog.DEVICE_TYPES_BY_ID[device.type].firmware[0].id
    client = client_of(tenant_admin)
    response = client.post(
        f"/devices/{device.id}/actions/firmware/", {"key": "f" * 32, "firmware_image": image}
    )
    assert response.status_code == 302
    assert writes(cached_fleet, device.id) == 1
