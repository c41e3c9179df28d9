"""Dates and times typed by people (query strings, form fields): the one place that bounds them.

Every typed date or time must fall in the years 2000 to 2099, read in UTC. Nothing in the
fleet or the audit trail is older, and nothing is planned further ahead; the bound keeps
every later step (a time zone of up to ±24 h, the day added to an inclusive end date, a
timestamp, a database column) far from Python's years 1 and 9999, where they fail.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
BOUNDS_WORDS = "between the years 2000 and 2099"


def within(moment: datetime) -> bool:
    """Whether an aware datetime (a naive one is read as UTC) is inside the bounds."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Aware datetimes compare by their instants, which never overflows.
    return EARLIEST <= moment <= LATEST


def check(moment: datetime, *, as_typed: str) -> datetime:
    """`moment`, or ValueError in words naming `as_typed` (how the person wrote it)."""
    if not within(moment):
        raise ValueError(f"{as_typed} is out of range: choose a date and time {BOUNDS_WORDS}.")
    return moment


def parse_iso(raw: str) -> datetime:
    """An ISO-8601 date and time within the bounds; without an offset it is UTC. ValueError
    in words otherwise. A "+" of an offset typed into a URL by hand arrives as a space: it
    is put back."""
    text = raw.strip()
    try:
        moment = parse_datetime(text.replace(" ", "+") if "T" in text and " " in text else text)
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(
            f"“{text}” is not a date and time: use e.g. 2024-01-15T08:00 "
            "(an offset like +01:00 may follow; without one it is UTC)."
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return check(moment, as_typed=f"“{text}”")


def validate_date(value: date) -> None:
    """A form field validator (DateField) for the bounds."""
    if not EARLIEST.date() <= value <= LATEST.date():
        raise ValidationError(
            f"{value.isoformat()} is out of range: choose a date {BOUNDS_WORDS}.",
            code="out_of_range",
        )
