"""What a person types to confirm a step that wipes or removes a device: its name, or
its id when it has none (a name of spaces only is none)."""

from __future__ import annotations

from controlapi.records import Device


def word(device: Device) -> str:
    """What must be typed (a form drops the spaces at the ends of what is typed)."""
    return device.name.strip() or str(device.id)


def by(device: Device) -> str:
    """What `word` is of the device, for the page's label: "name" or "id"."""
    return "name" if device.name.strip() else "id"


def confirmed(device: Device, typed: str) -> bool:
    return typed.strip() == word(device)


def asked(device: Device) -> str:
    """The refusal's words when what was typed is not `word`."""
    return f"Type the device's {by(device)} ({word(device)}) exactly"
