"""A CSV cell that a spreadsheet will not run as a formula: the one rule for every export."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defused(text: str) -> str:
    """`text`, with a leading apostrophe when a spreadsheet would read it as a formula (a
    number such as -1.5 is left as it is)."""
    if text[:1] in FORMULA_STARTS and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
