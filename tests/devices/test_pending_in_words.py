"""Pending settings read in words wherever they are listed: the devices page's Pending
column and the triage board's "Pending settings not clearing" say "Reboot scheduled",
not the control API's `reboot_scheduled`."""

import re

from controlapi.pending_settings import PendingSetting
from devices import pending_words


def test_known_names_are_words_and_unknown_ones_lose_their_underscores():
    assert pending_words.name_in_words("reboot_scheduled") == "Reboot scheduled"
    assert pending_words.name_in_words("wifi_channel") == "Wifi channel"
    assert (
        pending_words.in_words(PendingSetting("reboot_scheduled", "2027-01-16T02:00:00Z"))
        == "Reboot scheduled at 2027-01-16T02:00:00Z"
    )


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
    assert 'title="Reboot scheduled at ' in row
    assert "reboot_scheduled" not in row


def test_the_triage_board_names_stuck_settings_in_words(client_of, noc, polled, settings):
    settings.TRIAGE_PENDING_MINUTES = 0

    html = client_of(noc).get("/triage/").content.decode()
    stuck = re.search(r'data-kind="stuck">(.*?)</table>', html, re.S).group(1)

    assert ">Reboot scheduled</span>" in stuck
    assert "reboot_scheduled" not in stuck
