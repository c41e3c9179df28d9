"""The pending-settings parser: what the upstream still waits for a device to confirm."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple


class PendingSetting(NamedTuple):
    """One change the upstream is still waiting for the device to confirm. (A tuple:
    its cache form is the pair [name, value], which is how it encodes as JSON.)"""

    name: str
    value: str | None = None


class PendingSettings(tuple):
    """A device's pending settings, in the upstream's order: a tuple of PendingSetting
    with a type of its own, so that the device record's decoder reads every form of
    it with `parse_pending_settings`."""

    __slots__ = ()


NONE_PENDING = PendingSettings()


def parse_pending_settings(text: object) -> PendingSettings:
    """Parse `pending_settings`: null or a comma-separated list of `name` or `name:value`.

    Values may contain ":" (timestamps such as `reboot_scheduled:2024-01-16T02:00:00Z`),
    so an entry is split on its first ":" only. Spaces around names and values are
    stripped; empty entries and entries without a name are ignored; an empty value
    (`name:`) is None.

    ASSUMPTION (tolerance): an upstream that answers a JSON list of such strings, or
    an object of name -> value, is read the same way. A list of [name, value] pairs is
    the cache form, read back as it was written.
    """
    if not text:
        return NONE_PENDING
    if isinstance(text, Mapping):
        entries = (f"{name}:{'' if value is None else value}" for name, value in text.items())
    elif isinstance(text, list | tuple):
        entries = (_entry(entry) for entry in text)
    else:
        entries = str(text).split(",")
    settings = []
    for entry in entries:
        name, _, value = entry.partition(":")
        name = name.strip()
        if name:
            settings.append(PendingSetting(name, value.strip() or None))
    return PendingSettings(settings)


def _entry(entry: object) -> str:
    """A list entry as `name:value` text: a [name, value] pair or a string."""
    if isinstance(entry, list | tuple) and len(entry) == 2:
        name, value = entry
        return f"{name}:{'' if value is None else value}"
    return str(entry)
