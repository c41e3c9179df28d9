"""The firmware image id typed for a Firmware update: what is wrong with it is said as it
is. A whole number too large for an image id is told the real limit, not asked to be "a
whole number"; what is not a number still is; nothing refused is sent, and the box keeps
what was typed."""

import pytest

from devices.models import ActionRecord
from tests.fixtures.operations import writes

pytestmark = pytest.mark.django_db


def firmware(client, device, typed):
    return client.post(
        f"/devices/{device.id}/actions/firmware/", {"key": "f" * 32, "firmware_image": typed}
    )


@pytest.mark.parametrize("typed", ["99999999999", "2147483648", "99999999999999999999999"])
def test_an_image_id_too_large_is_told_the_largest_there_is(
    cached_fleet, device_of_org, tenant_admin, client_of, typed
):
    device = device_of_org(5)

    response = firmware(client_of(tenant_admin), device, typed)

    assert response.status_code == 400
    page = response.content.decode()
    assert "That firmware image id is too large: image ids go up to 2,147,483,647." in page
    assert "a whole number" not in page
    assert f'value="{typed}"' in page
    assert writes(cached_fleet, device.id) == 0
    assert not ActionRecord.objects.exists()


@pytest.mark.parametrize("typed", ["0", "-3"])
def test_an_image_id_below_one_is_told_where_ids_start(
    cached_fleet, device_of_org, tenant_admin, client_of, typed
):
    device = device_of_org(5)

    response = firmware(client_of(tenant_admin), device, typed)

    assert response.status_code == 400
    assert "Type the firmware image id: image ids start at 1, e.g. 47." in response.content.decode()
    assert writes(cached_fleet, device.id) == 0


@pytest.mark.parametrize("typed", ["abc", "4.7", "①", ""])
def test_what_is_not_a_whole_number_is_still_asked_for_one(
    cached_fleet, device_of_org, tenant_admin, client_of, typed
):
    device = device_of_org(5)

    response = firmware(client_of(tenant_admin), device, typed)

    assert response.status_code == 400
    assert "Type the firmware image id: a whole number, e.g. 47." in response.content.decode()
    assert writes(cached_fleet, device.id) == 0


def test_the_largest_image_id_is_sent(cached_fleet, device_of_org, tenant_admin, client_of):
    device = device_of_org(5)

    firmware(client_of(tenant_admin), device, "2147483647")

    record = ActionRecord.objects.get(key="f" * 32)
    assert record.parameters == {"firmware_image": 2147483647}
    assert writes(cached_fleet, device.id) == 1
