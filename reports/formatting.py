"""How the page and the CSV write a report's numbers, so both show the same: whole
seconds (rounded), availability as a percentage to three decimals (rounded)."""

from __future__ import annotations


def whole_seconds(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds)


def percent(share: float | None) -> str:
    """ "99.987" for 0.99987; "" when nothing was observed."""
    return "" if share is None else f"{share * 100:.3f}"


def duration(seconds: float | None) -> str:
    """ "2 d 03:04:05", "03:04:05"; "" for None."""
    whole = whole_seconds(seconds)
    if whole is None:
        return ""
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days} d {clock}" if days else clock
