"""Pending settings read in words wherever they are shown, through the one place that words
them (devices.pending_words): the devices page's Pending column, the triage board's
"Pending settings not clearing", the device page's list and the action messages say
"Reboot scheduled for 2027-01-16 02:00 UTC" and "Firmware update pending", never the
control API's `reboot_scheduled: 2027-01-16T02:00:00Z` or "firmware_update: pending"."""

import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from controlapi import ControlAPI
from controlapi.pending_settings import PendingSetting
from devices import pending_words
from devices.models import ActionRecord
from simulator import catalog


def test_known_names_are_words_and_unknown_ones_lose_their_underscores(settings):
    settings.DISPLAY_TIME_ZONE = "UTC"
    assert pending_words.name_in_words("reboot_scheduled") == "Reboot scheduled"
    assert pending_words.name_in_words("wifi_channel") == "Wifi channel"
    assert (
        pending_words.in_words(PendingSetting("reboot_scheduled", "2027-01-16T02:00:00Z"))
        == "Reboot scheduled for 2027-01-16 02:00 UTC"
    )


def test_a_value_that_only_says_pending_is_not_repeated():
    assert pending_words.in_words(PendingSetting("firmware_update", "pending")) == (
        "Firmware update pending"
    )
    assert pending_words.in_words(PendingSetting("sync")) == "Configuration sync pending"
    assert pending_words.in_words(PendingSetting("debug", "on")) == "Debug on pending"
    assert pending_words.in_words(PendingSetting("wifi_channel", "6")) == "Wifi channel: 6"


def test_a_scheduled_reboot_is_told_in_the_display_zone_and_names_it(settings):
    settings.DISPLAY_TIME_ZONE = "America/Mexico_City"
    entry = PendingSetting("reboot_scheduled", "2026-12-06T07:49:07Z")
    assert pending_words.in_words(entry) == (
        "Reboot scheduled for 2026-12-06 01:49 America/Mexico_City"
    )
    # A value that is no time is shown as it came, rather than refused.
    odd = PendingSetting("reboot_scheduled", "soon")
    assert pending_words.in_words(odd) == "Reboot scheduled for soon"


@pytest.mark.django_db
def test_the_pending_column_names_each_setting_in_words(client_of, noc, polled, all_devices):
    device = next(
        d for d in all_devices() if any(p.name == "reboot_scheduled" for p in d.pending_settings)
    )

    page = client_of(noc).get(
        "/devices/", {"pending": "true", "columns": "name,pending", "per_page": 100}
    )
    html = page.content.decode()
    row = re.search(rf'<tr [^>]*data-device-id="{device.id}".*?</tr>', html, re.S).group(0)

    assert ">Reboot scheduled</span>" in row
    assert 'title="Reboot scheduled for ' in row
    assert "reboot_scheduled" not in row


@pytest.mark.django_db
def test_the_triage_board_names_stuck_settings_in_words(client_of, noc, polled, settings):
    settings.TRIAGE_PENDING_MINUTES = 0

    html = client_of(noc).get("/triage/").content.decode()
    stuck = re.search(r'data-kind="stuck">(.*?)</table>', html, re.S).group(1)

    assert ">Reboot scheduled</span>" in stuck
    assert "reboot_scheduled" not in stuck


@pytest.mark.django_db
def test_a_reboots_message_names_its_pending_reboot_in_words(
    cached_fleet, device_of_org, operator, client_of, settings
):
    settings.DISPLAY_TIME_ZONE = "Europe/Madrid"
    device = device_of_org(5)
    client = client_of(operator)

    response = client.post(f"/devices/{device.id}/actions/reboot/", {"key": "k" * 32})

    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        pending = api.get_device(device.id, pending=True).pending_settings
    (due,) = [p.value for p in pending if p.name == "reboot_scheduled"]
    local = datetime.fromisoformat(due).astimezone(ZoneInfo("Europe/Madrid"))
    record = ActionRecord.objects.get(key="k" * 32)
    assert record.message == (
        "Reboot: accepted by the control API "
        f"(Reboot scheduled for {local:%Y-%m-%d %H:%M} Europe/Madrid)."
    )
    page = client.get(response["Location"]).content.decode()
    assert record.message in page
    assert "reboot_scheduled" not in page


@pytest.mark.django_db
def test_a_firmware_update_pending_is_said_once_in_words(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    """Before: "Firmware update pending: pending" on the page and "(firmware_update:
    pending)" in the action's message."""
    device = device_of_org(5)
    cached_fleet.settings(op_delay_seconds=60)
    image = catalog.DEVICE_TYPES_BY_ID[device.type].firmware[-1]
    client = client_of(tenant_admin)

    client.post(
        f"/devices/{device.id}/actions/firmware/", {"key": "f" * 32, "firmware_image": image.id}
    )

    record = ActionRecord.objects.get(key="f" * 32)
    assert record.message == (
        "Firmware update: accepted by the control API (Firmware update pending)."
    )
    part = client.get(f"/devices/{device.id}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<li>Firmware update pending</li>" in part
    assert "pending: pending" not in part
    assert "firmware_update" not in part


@pytest.mark.django_db
def test_send_again_finding_the_reboot_pending_says_so_in_words(
    cached_fleet, device_of_org, operator, client_of, settings
):
    settings.DISPLAY_TIME_ZONE = "Europe/Madrid"
    settings.ACTION_READ_TIMEOUT = 1
    device = device_of_org(5)
    client = client_of(operator)
    cached_fleet.set_faults(latency_ms=1500, method="PATCH")
    client.post(f"/devices/{device.id}/actions/reboot/", {"key": "k" * 32})
    cached_fleet.clear_faults()
    original = ActionRecord.objects.get(key="k" * 32)
    time.sleep(1.0)  # the late PATCH lands upstream: the reboot is pending

    client.post(f"/devices/{device.id}/actions/{original.pk}/resend/", {"key": "r" * 32})

    again = ActionRecord.objects.get(key="r" * 32)
    assert again.message.startswith("Already pending on the device (Reboot scheduled for ")
    assert re.search(r"\(Reboot scheduled for \d{4}-\d\d-\d\d \d\d:\d\d Europe/Madrid\)",
                     again.message)  # fmt: skip
    assert "reboot_scheduled" not in again.message
