"""Pending settings in words: the control API names them (`reboot_scheduled`), people
read "Reboot scheduled". Names this table does not know are shown with their
underscores as spaces. Every page and message that shows a pending setting says it
through `in_words`, the one place that turns them into words."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

from django.conf import settings

WORDS = {
    "reboot_scheduled": "Reboot scheduled",
    "factory_reset": "Factory reset pending",
    "device_factory_reset": "Device-only factory reset pending",
    "sync": "Configuration sync pending",
    "reconf": "Configuration re-apply pending",
    "debug": "Debug mode change pending",
    "firmware_update": "Firmware update pending",
}
# Values that only repeat that the setting is pending ("firmware_update:pending").
# ASSUMPTION: the upstream marks a bare pending entry with one of these words.
SAYS_NOTHING_MORE = {"pending", "true", "yes"}


def name_in_words(name: str) -> str:
    """One pending setting's name as people read it."""
    return WORDS.get(name) or name.replace("_", " ").capitalize()


def in_words(entry) -> str:
    """A pending setting with its value: "Reboot scheduled for 2024-01-16 02:00 UTC",
    "Firmware update pending", "Debug on pending"."""
    words = name_in_words(entry.name)
    value = (entry.value or "").strip()
    if not value or value.lower() in SAYS_NOTHING_MORE:
        return words
    if entry.name == "reboot_scheduled":
        return f"{words} for {moment_in_words(value)}"
    if entry.name == "debug" and value in ("on", "off"):
        return f"Debug {value} pending"
    return f"{words}: {value}"


def moment_in_words(text: str) -> str:
    """An upstream time ("2026-12-06T07:49:07Z") as the site shows moments: "Y-m-d H:i" in
    the display zone, the zone named; text that is no time is shown as it came."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:  # ASSUMPTION: the upstream's times without a zone are UTC
        moment = moment.replace(tzinfo=UTC)
    zone = settings.DISPLAY_TIME_ZONE
    return f"{moment.astimezone(zoneinfo.ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}"
