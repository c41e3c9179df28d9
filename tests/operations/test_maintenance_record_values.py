"""What the maintenance record page shows of the kept answer: no null as "None", no secret in
clear (and a secret kept upstream when the form is saved untouched), one time format."""

import html as html_lib
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from operations.models import MaintenanceSnapshot
from tests.devices.forms import form_values
from tests.operations.test_maintenance_and_scheduled import (
    history_lines,
    maintenance,
    maintenance_puts,
)

pytestmark = pytest.mark.django_db

SECRET = "SuperSecret123"


@pytest.fixture
def unreported_device(cached_fleet, fleet_devices):
    """A device of organization 5 that never reported a software version: the simulator's
    answer then holds firmware_version: null in its configuration."""
    return next(d for d in fleet_devices
                if d.organization_id == 5 and d.software_version is None and d.name)  # fmt: skip


def page_of(client, device_id) -> str:
    return html_lib.unescape(client.get(f"/devices/{device_id}/maintenance/").content.decode())


def shown_configuration(page: str) -> list[str]:
    """The configuration's lines as the form shows them, sorted (PostgreSQL's JSON keeps no
    order of keys)."""
    return sorted(form_values(page)["configuration"].splitlines())


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("ssid=Café Ñ\nchannel=6", ["channel=6", "ssid=Café Ñ"]), ("", [])],
)
def test_a_null_in_the_answer_is_not_shown_as_none_nor_sent_back_as_text(
    cached_fleet, unreported_device, tenant_admin, client_of, typed, shown
):
    """The simulator answers firmware_version: null for a device that reports none; the form
    showed a line firmware_version=None nobody typed, which went back on the next save."""
    device = unreported_device
    client = client_of(tenant_admin)
    assert maintenance(client, device.id, configuration=typed).status_code == 302
    answer = MaintenanceSnapshot.objects.get(device_id=device.id).answer
    assert answer["configuration"]["firmware_version"] is None  # what the page must not show

    page = page_of(client, device.id)

    assert shown_configuration(page) == shown
    assert "None" not in form_values(page)["configuration"]
    assert "Not shown, without a value in the last answer: firmware_version." in page
    cached_fleet.clear_log()
    saved_again = client.post(f"/devices/{device.id}/maintenance/", form_values(page))
    assert saved_again.status_code == 302
    for body in maintenance_puts(cached_fleet):
        assert "firmware_version" not in body.get("configuration", {})


def test_a_secret_is_not_on_the_page_and_an_untouched_save_keeps_it_upstream(
    cached_fleet, unreported_device, tenant_admin, client_of
):
    device = unreported_device
    client = client_of(tenant_admin)
    typed = f"wifi_password={SECRET}\nssid=Café Ñ"
    assert maintenance(client, device.id, configuration=typed).status_code == 302

    page = page_of(client, device.id)

    assert SECRET not in page
    assert shown_configuration(page) == ["ssid=Café Ñ", "wifi_password=••••••"]
    assert "Secrets show as ••••••: a line left as it is keeps the secret." in page
    cached_fleet.clear_log()
    opened = form_values(page)
    saved = client.post(f"/devices/{device.id}/maintenance/", {**opened, "assigned_user": "bo"})
    assert saved.status_code == 302
    (sent,) = maintenance_puts(cached_fleet)
    assert sent["configuration"] == {"wifi_password": SECRET, "ssid": "Café Ñ"}
    assert sent["assigned_user"] == "bo"
    assert SECRET not in page_of(client, device.id)


def test_a_secret_typed_anew_replaces_the_stored_one(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    maintenance(client, device.id, configuration=f"wifi_password={SECRET}")
    cached_fleet.clear_log()

    changed = maintenance(client, device.id, configuration="wifi_password=Other-456")

    assert changed.status_code == 302
    assert maintenance_puts(cached_fleet)[-1]["configuration"] == {"wifi_password": "Other-456"}
    assert "Other-456" not in page_of(client, device.id)


def test_a_refused_form_keeps_what_was_typed_but_not_a_new_secret(
    cached_fleet, unreported_device, tenant_admin, client_of
):
    device = unreported_device
    client = client_of(tenant_admin)
    maintenance(client, device.id, configuration=f"wifi_password={SECRET}\nssid=home")
    cached_fleet.clear_log()

    refused = maintenance(client, device.id, next_maintenance="2020-03-01T10:00",
                          configuration="wifi_password=Typed-789\nssid=office")  # fmt: skip

    assert refused.status_code == 400
    page = html_lib.unescape(refused.content.decode())
    assert "Typed-789" not in page and SECRET not in page
    assert form_values(page)["configuration"] == "wifi_password=\r\nssid=office"  # as typed
    assert "Type the value of wifi_password again: a secret is not shown back." in page
    assert form_values(page)["next_maintenance"] == "2020-03-01T10:00"
    assert maintenance_puts(cached_fleet) == []


def test_the_operational_history_uses_the_pages_time_format_in_the_display_zone(
    cached_fleet, device_of_org, tenant_admin, client_of, settings
):
    """It read "Dec 6, 2026, 04:10 UTC" beside "(2026-12-06 04:10 by tenant-admin)"."""
    settings.DISPLAY_TIME_ZONE = "America/Guayaquil"
    device = device_of_org(5)
    client = client_of(tenant_admin)
    maintenance(client, device.id)

    page = page_of(client, device.id)

    (line,) = history_lines(page)
    stamp = MaintenanceSnapshot.objects.get(device_id=device.id).answer["operational_history"]
    at = datetime.fromisoformat(stamp[0]["timestamp"]).astimezone(ZoneInfo("America/Guayaquil"))
    assert line.startswith(f"{at:%Y-%m-%d %H:%M} — Status changed from active to maintenance")
    assert re.search(r"\(\d{4}-\d\d-\d\d \d\d:\d\d by tenant-admin\)", page)
    assert "Times shown in America/Guayaquil." in page
