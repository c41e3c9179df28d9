"""Up/Down over time as server-rendered SVG (no chart library, no CDN).

`status_chart(points, since, until)` turns count points into the coordinates a
template draws: two polylines (Up, Down) on a fixed viewBox, plus axis labels.
`combine` adds several organizations' series up by poll time (each poll writes
every organization's point under one time, so they line up).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from fleet.store.history import CountPoint

WIDTH, HEIGHT, PAD = 600, 160, 4
# More points than pixels only costs bytes: keep at most this many (the newest of a bucket).
MAX_POINTS = 300


@dataclass(frozen=True)
class Chart:
    up: str  # SVG polyline points
    down: str
    peak: int
    points: int
    last: CountPoint | None
    since: datetime
    until: datetime


def combine(series: Iterable[list[CountPoint]]) -> list[CountPoint]:
    totals: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
    for points in series:
        for p in points:
            totals[p.at][0] += p.up
            totals[p.at][1] += p.down
    return [CountPoint(at, up, down) for at, (up, down) in sorted(totals.items())]


def _thin(points: list[CountPoint], since: datetime, until: datetime) -> list[CountPoint]:
    if len(points) <= MAX_POINTS:
        return points
    span = (until - since).total_seconds() or 1
    buckets: dict[int, CountPoint] = {}
    for p in points:
        buckets[int((p.at - since).total_seconds() / span * (MAX_POINTS - 1))] = p
    return [buckets[k] for k in sorted(buckets)]


def status_chart(points: list[CountPoint], *, since: datetime, until: datetime) -> Chart:
    points = _thin(points, since, until)
    peak = max((max(p.up, p.down) for p in points), default=0)
    span = (until - since).total_seconds() or 1

    def line(value) -> str:
        coords = []
        for p in points:
            x = PAD + (p.at - since).total_seconds() / span * (WIDTH - 2 * PAD)
            y = HEIGHT - PAD - (value(p) / peak if peak else 0) * (HEIGHT - 2 * PAD)
            coords.append(f"{x:.1f},{y:.1f}")
        return " ".join(coords)

    return Chart(
        up=line(lambda p: p.up),
        down=line(lambda p: p.down),
        peak=peak,
        points=len(points),
        last=points[-1] if points else None,
        since=since,
        until=until,
    )
