"""The control API's refusals of a device's fields in the dashboard's words: its defaults
(Django REST framework's) speak of primary keys and objects. Anything else is kept as the
control API said it."""

from __future__ import annotations

import re

# What a field's id names, for "No device type 99999 is known to the control API."
THINGS = {
    "type": "device type",
    "organization_id": "organization",
    "firmware_image": "firmware image",
}
_NO_SUCH = re.compile(r'^Invalid pk "(?P<value>.*)" - object does not exist\.?$')
_TAKEN = re.compile(r"^.* with this (?P<field>.+) already exists\.?$")


def in_words(field: str, text: str) -> str:
    """`text`, the control API's message about `field`, as a person would say it."""
    if match := _NO_SUCH.match(text):
        thing = THINGS.get(field, field.replace("_", " "))
        return f"No {thing} {match['value'][:40]} is known to the control API."
    if match := _TAKEN.match(text):
        return (
            f"Another device has this {match['field']} already: the inventory keeps each "
            f"{match['field']} to one device."
        )
    return text
