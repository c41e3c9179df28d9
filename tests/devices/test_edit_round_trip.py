"""Every stored value survives the edit form unchanged: opened and saved as a browser does,
the form sends nothing the person did not change."""

import pytest
from django.conf import settings

from controlapi import ControlAPI
from tests.devices.forms import form_values
from tests.fixtures.operations import writes

pytestmark = pytest.mark.django_db


def submitted(client, device_id) -> dict:
    html = client.get(f"/devices/{device_id}/edit/form/", HTTP_HX_REQUEST="true").content.decode()
    return form_values(html)


STORED = {
    "unicode and long": {
        "name": "Routeur café ☕ 東京 " + "ñ" * 200,
        "customer_id": None,
        "serial_number_alt": "S" * 255,
        "location_name": "Zürich — Bahnhofstrasse",
        "latitude": "-89.999999",
        "longitude": "179.999999",
        "username": "admin",
        "password": "stored-secret-9",
    },
    "zero coordinates": {"latitude": "0", "longitude": "0.000000", "description": None},
    "description of many lines": {
        # 255 characters, as the control API allows, five of them line breaks
        "description": "\n".join(["x" * 50] * 6)[:255],
    },
    "every optional field empty": {
        "customer_id": None,
        "serial_number_alt": None,
        "location_name": None,
        "latitude": None,
        "longitude": None,
        "description": None,
        "username": None,
    },
}


@pytest.mark.parametrize("stored", STORED.values(), ids=STORED.keys())
def test_saving_the_edit_form_unchanged_sends_nothing(
    cached_fleet, device_of_org, tenant_admin, client_of, stored
):
    device = device_of_org(5)
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        api.update_device(device.id, stored)
    client = client_of(tenant_admin)
    data = submitted(client, device.id)
    assert "stored-secret-9" not in str(data)
    cached_fleet.clear_log()

    response = client.post(f"/devices/{device.id}/edit/", data)

    assert response.status_code == 302, response.context["form"].errors
    assert writes(cached_fleet, device.id) == 0


@pytest.mark.parametrize("stored", STORED.values(), ids=STORED.keys())
def test_renaming_sends_only_the_name(cached_fleet, device_of_org, tenant_admin, client_of, stored):
    device = device_of_org(5)
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        api.update_device(device.id, stored)
    client = client_of(tenant_admin)
    data = {**submitted(client, device.id), "name": "renamed"}
    cached_fleet.clear_log()

    response = client.post(f"/devices/{device.id}/edit/", data)

    assert response.status_code == 302, response.context["form"].errors
    patches = [e["body"] for e in cached_fleet.request_log()["entries"] if e["method"] == "PATCH"]
    assert patches == [{"name": "renamed"}]
