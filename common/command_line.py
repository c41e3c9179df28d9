"""Arguments of the management commands, read with the same words everywhere."""

from __future__ import annotations

from django.core.management.base import CommandError


def whole_number(minimum: int):
    """An argparse `type`: a whole number of at least `minimum`, or a CommandError in words."""

    def read(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise CommandError(f"Expected a whole number of at least {minimum}, not {value!r}.")
        return number

    return read
