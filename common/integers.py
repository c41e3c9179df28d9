"""Whole numbers typed by people (query strings, form fields, CSV cells, key=value lines):
the one parser.

ASCII digits only, with an optional leading minus: `str.isdigit()` also takes "²" and "①",
which `int()` refuses, and `int()` itself takes other scripts' digits ("١٢"), which nobody
here means to type. Every caller gives bounds, so no number too large for the database or
the upstream goes further.
"""

from __future__ import annotations

import re

# ASSUMPTION: the upstream's ids (devices, organizations, types, firmware images) are 32-bit
# database keys; a larger id is a typo, and refusing it keeps it out of every query.
ID_MAX = 2**31 - 1
# The largest number a database integer column (and SQLite) holds.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_WHOLE = re.compile(r"-?[0-9]+")
_MAX_DIGITS = 40  # more digits than any bound: int() is not asked to read a huge text


def parse_int(raw, *, minimum: int, maximum: int) -> int:
    """`raw` (surrounding spaces ignored) as an int from `minimum` to `maximum`, else
    ValueError whose message follows what was read, e.g. "type: " + message."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not is_whole(text):
        raise ValueError(f"must be a whole number {_range(minimum, maximum)}, not {text!r}")
    if len(text.lstrip("-")) <= _MAX_DIGITS:
        value = int(text)
    else:
        value = minimum - 1 if text.startswith("-") else maximum + 1
    if value < minimum:
        raise ValueError(f"must be a whole number {_range(minimum, maximum)}, not {text!r}")
    if value > maximum:
        raise ValueError(f"must be at most {maximum}, not {text!r}")
    return value


def is_whole(raw: str) -> bool:
    """Whether `raw` is written as a whole number (ASCII digits, an optional leading minus),
    whatever its size."""
    return bool(_WHOLE.fullmatch(raw.strip()))


def int_or_none(raw, *, minimum: int, maximum: int) -> int | None:
    """`parse_int`, None instead of the error: for callers that word the refusal themselves."""
    try:
        return parse_int(raw, minimum=minimum, maximum=maximum)
    except ValueError:
        return None


def _range(minimum: int, maximum: int) -> str:
    # A wide range reads better by its lower end alone (the upper end is said when passed).
    return f"from {minimum} to {maximum}" if maximum - minimum < 1000 else f"of at least {minimum}"
