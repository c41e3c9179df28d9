"""Elapsed times under a minute read "under a minute", never "0 minutes"."""

import re

from tests.fixtures.users import ORG_A

# `timesince` separates the number from its unit with a no-break space.
ZERO_MINUTES = re.compile(r"\b0\s+minutes")


def test_a_device_down_for_seconds_reads_under_a_minute_on_the_triage_board(
    client_of, noc, polled, poll, all_devices
):
    device = next(d for d in all_devices() if d.organization_id == ORG_A and d.is_up)
    polled.set_status(device.id, up=False)
    poll()

    content = client_of(noc).get("/triage/").content.decode()

    row = re.search(rf'data-device-id="{device.id}">(.*?)</tr>', content, re.S).group(1)
    assert "under a minute" in row
    assert not ZERO_MINUTES.search(content)


def test_the_same_device_reads_under_a_minute_on_the_device_list_and_its_page(
    client_of, noc, polled, poll, all_devices
):
    device = next(d for d in all_devices() if d.organization_id == ORG_A and d.is_up)
    polled.set_status(device.id, up=False)
    poll()
    client = client_of(noc)

    listing = client.get("/devices/", {"q": device.serial_number}).content.decode()
    detail = client.get(f"/devices/{device.id}/").content.decode()

    row = re.search(rf'data-device-id="{device.id}".*?</tr>', listing, re.S).group(0)
    assert '<span class="muted since"' in row and "under a minute" in row
    assert not ZERO_MINUTES.search(listing) and not ZERO_MINUTES.search(detail)
