"""The fleet part of the overview page: counts per organization now, Up/Down over
24 hours and 7 days from the history, and the pollers' health. Never raises for Redis."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import redis

from accounts.tenancy import OrgScope
from devices import charts, configured, fleet_health, history_selectors
from devices.in_maintenance import DownInMaintenance, down_in_maintenance_now
from fleet.freshness import describe_age
from fleet.store.health import PollHealth

WINDOWS = (("24 hours", timedelta(hours=24)), ("7 days", timedelta(days=7)))


@dataclass(frozen=True, slots=True)
class PollRow:
    """One poll in the Poller health panel. Its ages are in the banner's words
    (`fleet.freshness.describe_age`), counted as the banner counts the fleet data's age:
    from the start of the last successful poll (the snapshot's "as of" time), so the two
    never disagree."""

    name: str
    health: PollHealth
    set_aside: str  # the records it set aside, in words, or ""
    success_age: str  # how long ago the last successful poll started ("" if none)
    error_age: str  # how long ago the poll that failed last started ("" if unknown)

    @property
    def error_over(self) -> bool:
        """Whether a poll has succeeded since the last error: the failures counter
        restarts from 0 only on a success."""
        return self.health.failures == 0 and self.health.last_success is not None


@dataclass
class FleetOverview:
    # org -> (up, down); None when they could not be read (never shown as zeros)
    counts: dict[int, tuple[int, int]] | None = None
    charts: list[tuple[str, charts.Chart]] = field(default_factory=list)
    polls: dict[str, PollHealth] | None = None
    error: str | None = None
    # poll -> the sentence naming the records it set aside (absent when none)
    set_aside: dict[str, str] = field(default_factory=dict)
    # how many of each organization's Down devices a maintenance window covers (None: unknown)
    in_maintenance: DownInMaintenance | None = None
    # From when the durable history (PostgreSQL) starts; None: unknown or empty.
    history_since: datetime | None = None
    # When the polls' health was read: their ages count up to it.
    checked_at: datetime | None = None

    @property
    def poll_rows(self) -> list[PollRow]:
        now = self.checked_at or datetime.now(UTC)

        def age(moment: datetime | None) -> str:
            return describe_age(now - moment) if moment is not None else ""

        return [
            PollRow(
                name,
                health,
                self.set_aside.get(name, ""),
                age(health.last_success),
                age(health.last_error_at),
            )
            for name, health in (self.polls or {}).items()
        ]


def set_aside_sentence(health: PollHealth, *, name_them: bool) -> str:
    """The records a poll could not store, in words: by id and why for NOC staff
    (`name_them`), counted only for others, who must not learn of other
    organizations' devices. "" when there are none."""
    total = max(health.set_aside_total, len(health.set_aside))
    if not total:
        return ""
    said = f"{total} device record{'s' if total != 1 else ''} set aside"
    if not name_them:
        return f"{said}: the control API sent values the dashboard cannot store."
    named = [
        reason if device_id is None else f"id {device_id}: {reason}"
        for device_id, reason in health.set_aside
    ]
    more = total - len(named)
    if more > 0:
        named.append(f"and {more} more")
    return f"{said}: {'; '.join(named)}."


def fleet_overview(scope: OrgScope, *, now: datetime, with_charts: bool = True) -> FleetOverview:
    """Counts per organization, Down in maintenance, the polls' health and, `with_charts`,
    the Up/Down history of the last day and week (the longest read of the four)."""
    answer = FleetOverview(polls=fleet_health.poll_health(), checked_at=now)
    for poll, health in (answer.polls or {}).items():
        sentence = set_aside_sentence(health, name_them=scope.all)
        if sentence:
            answer.set_aside[poll] = sentence
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
    down = {o: c[1] for o, c in answer.counts.items()}
    answer.in_maintenance = down_in_maintenance_now(down, org_ids, now)
    for label, window in WINDOWS if with_charts else ():
        history = history_selectors.org_counts_series(
            org_ids=org_ids, since=now - window, until=now
        )
        if history.error:
            answer.error = history.error
            break
        series = history.items
        answer.history_since = history.kept_since
        points = series.get("all", []) if org_ids is None else charts.combine(series.values())
        answer.charts.append((label, charts.status_chart(points, since=now - window, until=now)))
    return answer
