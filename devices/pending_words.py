"""Pending settings in words: the control API names them (`reboot_scheduled`), people
read "Reboot scheduled". Names this table does not know are shown with their
underscores as spaces."""

from __future__ import annotations

WORDS = {
    "reboot_scheduled": "Reboot scheduled",
    "factory_reset": "Factory reset pending",
    "device_factory_reset": "Device-only factory reset pending",
    "sync": "Configuration sync pending",
    "reconf": "Configuration re-apply pending",
    "debug": "Debug mode change pending",
    "firmware_update": "Firmware update pending",
}


def name_in_words(name: str) -> str:
    """One pending setting's name as people read it."""
    return WORDS.get(name) or name.replace("_", " ").capitalize()


def in_words(entry) -> str:
    """A pending setting with its value: "Reboot scheduled at 2024-01-16T02:00:00Z"."""
    words = name_in_words(entry.name)
    if entry.value is None:
        return words
    if entry.name == "reboot_scheduled":
        return f"{words} at {entry.value}"
    return f"{words}: {entry.value}"
