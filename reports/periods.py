"""A report's range from what the person chose: a day, a week (Monday to Sunday), a month,
or custom dates (both inclusive), in the display time zone the page names; and the
chart's buckets over it (hours of a day, else days, else weeks)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

DAY, WEEK, MONTH, CUSTOM = "day", "week", "month", "custom"
PERIODS = [(DAY, "Day"), (WEEK, "Week"), (MONTH, "Month"), (CUSTOM, "Custom dates")]
# One report covers at most this many days (the history's default retention: 400).
MAX_DAYS = 400


@dataclass(frozen=True)
class Period:
    kind: str
    first_day: date
    last_day: date  # inclusive
    zone: tzinfo

    @property
    def start(self) -> datetime:
        return _midnight(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        return _midnight(self.last_day + timedelta(days=1), self.zone)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def bucket_edges(self) -> list[datetime]:
        """Chart buckets: the day's hours, the days of up to 62 days, else weeks."""
        if self.days == 1:
            # Real hours: a day when the clocks change has 23 or 25 of them.
            hours = math.ceil((self.end - self.start) / timedelta(hours=1))
            return [*(self.start + timedelta(hours=h) for h in range(hours)), self.end]
        step = 1 if self.days <= 62 else 7
        edges = [
            _midnight(self.first_day + timedelta(days=d), self.zone)
            for d in range(0, self.days, step)
        ]
        return [*edges, self.end]


def _midnight(day: date, zone: tzinfo) -> datetime:
    # In UTC: two datetimes of one zone subtract by their clocks, which lose or gain the
    # hour the clocks change by; instants of UTC subtract by real time.
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def period_of(kind: str, day: date, until: date | None, zone: tzinfo) -> Period:
    """The period of `kind` around `day` (custom: `day` to `until`). ValueError in words."""
    if kind == DAY:
        return Period(kind, day, day, zone)
    if kind == WEEK:
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=6), zone)
    if kind == MONTH:
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period(kind, first, following - timedelta(days=1), zone)
    if until is None:
        raise ValueError("Choose the last day of a custom range.")
    if until < day:
        raise ValueError("The last day is before the first.")
    if (until - day).days + 1 > MAX_DAYS:
        raise ValueError(f"A report covers at most {MAX_DAYS} days.")
    return Period(CUSTOM, day, until, zone)
