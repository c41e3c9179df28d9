"""The device page: every field group, pending work in words, tenancy, freshness."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from controlapi import ControlAPI

pytestmark = pytest.mark.django_db


def test_it_shows_every_field_group_of_the_device(cached_fleet, device_of_org, viewer, client_of):
    device = device_of_org(5)
    response = client_of(viewer).get(f"/devices/{device.id}/")
    assert response.status_code == 200
    html = response.content.decode()
    for heading in (
        "Identity",
        "Status and connectivity",
        "Hardware and firmware",
        "Location",
        "Organization and type",
        "Pending settings",
    ):
        assert heading in html
    assert device.serial_number in html
    assert "Management username" in html


def test_it_never_shows_the_device_password(cached_fleet, noc, client_of, upstream):
    created = client_of(noc)
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        device = api.create_device(
            {
                "name": "pw-test",
                "serial_number": "PW-0001",
                "type": 12,
                "organization_id": 5,
                "username": "admin",
                "password": "s3cret-device-pw",
            }
        )
    html = created.get(f"/devices/{device.id}/").content.decode()
    assert "admin" in html
    assert "s3cret-device-pw" not in html


def test_it_answers_404_to_an_outsider(cached_fleet, device_of_org, outsider, client_of):
    device = device_of_org(5)
    assert client_of(outsider).get(f"/devices/{device.id}/").status_code == 404


def test_it_answers_404_for_an_unknown_device(upstream, noc, client_of):
    assert client_of(noc).get("/devices/999999/").status_code == 404


def test_it_reads_a_device_missing_from_the_cache_from_the_upstream(
    upstream, device_of_org, viewer, client_of
):
    device = device_of_org(5)  # no poll ran: the cache is empty
    response = client_of(viewer).get(f"/devices/{device.id}/")
    assert response.status_code == 200
    assert device.serial_number in response.content.decode()


def test_a_viewer_sees_no_action_buttons(cached_fleet, device_of_org, viewer, client_of):
    html = client_of(viewer).get(f"/devices/{device_of_org(5).id}/").content.decode()
    assert "/actions/reboot/" not in html
    assert "Danger zone" not in html


def test_an_operator_sees_buttons_but_no_danger_zone(
    cached_fleet, device_of_org, operator, client_of
):
    html = client_of(operator).get(f"/devices/{device_of_org(5).id}/").content.decode()
    assert "/actions/reboot/" in html
    assert "/actions/factory-reset/" not in html


def test_a_tenant_admin_sees_the_danger_zone(cached_fleet, device_of_org, tenant_admin, client_of):
    html = client_of(tenant_admin).get(f"/devices/{device_of_org(5).id}/").content.decode()
    assert "Danger zone" in html
    assert "/actions/device-factory-reset/" in html


def test_pending_settings_are_listed_in_words(cached_fleet, device_of_org, noc, client_of):
    device = device_of_org(5)
    client = client_of(noc)
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        api.reboot(device.id)
    # The cached copy is the list shape: the page loads the detail record, pending included,
    # in its fields part.
    assert 'id="detail-loading"' in client.get(f"/devices/{device.id}/").content.decode()
    html = client.get(f"/devices/{device.id}/", HTTP_HX_REQUEST="true").content.decode()
    assert "Reboot scheduled" in html


def test_the_fields_partial_answers_an_htmx_request(cached_fleet, device_of_org, viewer, client_of):
    response = client_of(viewer).get(f"/devices/{device_of_org(5).id}/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="device-fields"' in html
    assert "<html" not in html


def test_a_scheduled_reboot_is_shown_with_its_time(
    cached_fleet, device_of_org, noc, client_of, settings
):
    """In words, as the site shows moments: "Y-m-d H:i" in the display zone, named."""
    settings.DISPLAY_TIME_ZONE = "Europe/Madrid"
    device = device_of_org(5)
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        due = next(p.value for p in api.reboot(device.id).pending_settings)

    part = client_of(noc).get(f"/devices/{device.id}/", HTTP_HX_REQUEST="true")
    html = part.content.decode()

    local = datetime.fromisoformat(due).astimezone(ZoneInfo("Europe/Madrid"))
    assert f"<li>Reboot scheduled for {local:%Y-%m-%d %H:%M} Europe/Madrid</li>" in html
    assert due not in html
