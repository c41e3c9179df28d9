"""Arguments of the management commands, read with the same words everywhere."""

from __future__ import annotations

from argparse import ArgumentTypeError


def whole_number(minimum: int):
    """An argparse `type`: a whole number of at least `minimum`, or the refusal in words.

    An ArgumentTypeError, not a CommandError: argparse turns it into its usage line and a
    non-zero exit (a CommandError from inside argparse reached the shell as a traceback)."""

    def read(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise ArgumentTypeError(
                f"Expected a whole number of at least {minimum}, not {value!r}."
            )
        return number

    return read
