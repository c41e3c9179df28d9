"""The fleet part of the overview page: counts per organization now, Up/Down over
24 hours and 7 days from the history, and the pollers' health. Never raises for Redis."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis

from dashboard.tenancy import OrgScope
from devices import charts, configured, selectors
from devices.read_model import PollHealth

WINDOWS = (("24 hours", timedelta(hours=24)), ("7 days", timedelta(days=7)))


@dataclass
class FleetOverview:
    # org -> (up, down); None when they could not be read (never shown as zeros)
    counts: dict[int, tuple[int, int]] | None = None
    charts: list[tuple[str, charts.Chart]] = field(default_factory=list)
    polls: dict[str, PollHealth] | None = None
    error: str | None = None


def fleet_overview(scope: OrgScope, *, now: datetime) -> FleetOverview:
    answer = FleetOverview(polls=selectors.poll_health())
    org_ids = scope.org_ids_or_none()
    try:
        model = configured.read_model()
        if model.snapshot_info() is None:
            answer.error = "Counts and charts appear when the first fleet poll has finished."
            return answer
        counts = model.current_org_counts()
    except redis.RedisError:
        answer.error = "Counts and charts need the fleet cache (Redis), which is unreachable."
        return answer
    answer.counts = {o: c for o, c in counts.items() if scope.allows(o)}
    for label, window in WINDOWS:
        history = selectors.org_counts_series(org_ids=org_ids, since=now - window, until=now)
        if history.error:
            answer.error = history.error
            break
        series = history.items
        points = series.get("all", []) if org_ids is None else charts.combine(series.values())
        answer.charts.append((label, charts.status_chart(points, since=now - window, until=now)))
    return answer
