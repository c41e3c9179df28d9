""" "Check the device and send again" on an action whose outcome is unknown: it asks first
for an action that asks (Reboot, Firmware update), and each entry is sent again once; the
page then says when, and a second press (another tab, a stale page, a forged POST) sends
nothing."""

import html
import re
import time

import pytest

from accounts.models import AuditEntry
from devices.models import ActionRecord
from tests.fixtures.operations import writes

pytestmark = pytest.mark.django_db


def unknown_reboot(sim, client, device, settings):
    """A Reboot whose PATCH hung past the read timeout: outcome unknown, nothing applied."""
    settings.ACTION_READ_TIMEOUT = 1
    sim.set_faults(next_hangs=1, hang_seconds=1.5, method="PATCH")
    client.post(f"/devices/{device.id}/actions/reboot/", {"key": "k" * 32})
    sim.clear_faults()
    record = ActionRecord.objects.get(key="k" * 32)
    assert record.state == ActionRecord.State.UNKNOWN
    return record


def entry_of(page_html, record):
    """The device page's entry of one action record."""
    return re.search(rf'<div id="action-{record.pk}" .*?</div>', page_html, re.S).group(0)


def send_again(client, device, record, key):
    return client.post(f"/devices/{device.id}/actions/{record.pk}/resend/", {"key": key})


def test_send_again_of_a_reboot_asks_the_reboots_question_first(
    cached_fleet, device_of_org, operator, client_of, settings
):
    device = device_of_org(5)
    client = client_of(operator)
    original = unknown_reboot(cached_fleet, client, device, settings)

    entry = entry_of(client.get(f"/devices/{device.id}/").content.decode(), original)

    form = re.search(r"<form [^>]*resend/[^>]*>", entry).group(0)
    question = html.escape(f"Reboot {device.name}? It is offline while it restarts.")
    assert f'data-confirm="{question}"' in form
    assert "Check the device and send again" in entry


def test_an_entry_sent_again_says_so_and_offers_no_second_send(
    cached_fleet, device_of_org, operator, client_of, settings
):
    device = device_of_org(5)
    client = client_of(operator)
    original = unknown_reboot(cached_fleet, client, device, settings)

    assert send_again(client, device, original, "r" * 32).status_code == 302

    again = ActionRecord.objects.get(key="r" * 32)
    assert again.state == ActionRecord.State.SENT
    entry = entry_of(client.get(f"/devices/{device.id}/").content.decode(), original)
    assert "Check the device and send again" not in entry
    assert "resend/" not in entry
    assert re.search(r"Sent again at <time [^>]*>\d\d:\d\d</time> by operator", entry)
    assert f'href="#action-{again.pk}"' in entry


def test_a_second_send_again_of_the_same_entry_sends_nothing(
    cached_fleet, device_of_org, operator, client_of, settings
):
    """Two presses with two forms' keys (two tabs, or the page reloaded before the first
    answer): one more reboot reaches the device, not two."""
    device = device_of_org(5)
    client = client_of(operator)
    original = unknown_reboot(cached_fleet, client, device, settings)
    send_again(client, device, original, "r" * 32)
    assert writes(cached_fleet, device.id) == 1

    second = send_again(client, device, original, "s" * 32)

    assert second.status_code == 302
    assert writes(cached_fleet, device.id) == 1
    assert not ActionRecord.objects.filter(key="s" * 32).exists()
    assert not AuditEntry.objects.filter(request_id="s" * 32).exists()
    again = ActionRecord.objects.get(key="r" * 32)
    assert second["Location"].endswith(f"#action-{again.pk}")
    page = client.get(second["Location"]).content.decode()
    assert "This action was already sent again at" in page
    assert "so nothing was sent this time" in page


def test_an_entry_found_already_pending_says_it_was_checked_and_offers_no_button(
    cached_fleet, device_of_org, operator, client_of, settings
):
    """The late PATCH did land: the check finds the reboot pending and sends nothing; the
    entry then says it was checked, and a second press changes nothing either."""
    device = device_of_org(5)
    client = client_of(operator)
    settings.ACTION_READ_TIMEOUT = 1
    cached_fleet.set_faults(latency_ms=1500, method="PATCH")
    client.post(f"/devices/{device.id}/actions/reboot/", {"key": "k" * 32})
    cached_fleet.clear_faults()
    original = ActionRecord.objects.get(key="k" * 32)
    time.sleep(1.0)  # the late PATCH lands upstream

    send_again(client, device, original, "r" * 32)
    send_again(client, device, original, "s" * 32)

    assert ActionRecord.objects.get(key="r" * 32).state == ActionRecord.State.ALREADY_PENDING
    assert not ActionRecord.objects.filter(key="s" * 32).exists()
    entry = entry_of(client.get(f"/devices/{device.id}/").content.decode(), original)
    assert "Checked again at" in entry
    assert "it was already pending, so nothing was sent" in entry
    assert "Check the device and send again" not in entry
    assert writes(cached_fleet, device.id) == 1
