"""How the page and the CSV write a report's numbers, so both show the same: whole
seconds (rounded), availability as a percentage to three decimals (rounded)."""

from __future__ import annotations

from reports.availability import Outage


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


def not_observed(outages) -> str:
    """Where the time of an outage (or of several) was not observed, in words: "00:06:36
    when no poll succeeded and 00:05:00 in maintenance"; "" when all of it was observed
    (to the second), or when a report kept before this was known does not say."""
    if isinstance(outages, Outage):
        outages = [outages]
    parts = [
        (sum(o.in_gaps for o in outages), "when no poll succeeded"),
        (sum(o.in_maintenance for o in outages), "in maintenance"),
        (sum(o.before_data for o in outages), "before the data starts"),
    ]
    said = [f"{duration(seconds)} {why}" for seconds, why in parts if whole_seconds(seconds)]
    if len(said) > 1:
        return f"{', '.join(said[:-1])} and {said[-1]}"
    return "".join(said)
