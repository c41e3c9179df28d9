"""How old the fleet data is, in words for the banner above every page.

Pure functions of the snapshot's time and the poll's health, so the rule is
tested without Redis; `devices.fleet_health.fleet_banner` feeds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fleet.store.current import SnapshotInfo
from fleet.store.health import PollHealth

# Data older than this many poll intervals is called stale: one late poll is
# normal at 100,000 devices (a full poll outlasts an interval), three are not.
STALE_AFTER_INTERVALS = 3

INFO, WARNING, ERROR = "info", "warning", "error"


@dataclass(frozen=True, slots=True)
class Banner:
    level: str  # "info", "warning" or "error"
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"level": self.level, "message": self.message}


def describe_age(age: timedelta) -> str:
    seconds = max(int(age.total_seconds()), 0)
    if seconds < 90:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} minutes"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} hours"
    return f"{round(seconds / 86400)} days"


def is_stale(as_of: datetime, *, now: datetime, interval: float) -> bool:
    return now - as_of > timedelta(seconds=interval * STALE_AFTER_INTERVALS)


def needs_health(snapshot: SnapshotInfo | None, *, now: datetime, interval: float) -> bool:
    """Whether the banner depends on the poll's health: without a snapshot or with a
    stale one. Fresh data shows no banner, so a page need not read the health."""
    return snapshot is None or is_stale(snapshot.as_of, now=now, interval=interval)


def banner_for(
    *, now: datetime, snapshot: SnapshotInfo | None, health: PollHealth, interval: float
) -> Banner | None:
    """None while the data is fresh; otherwise what the operator should know."""
    if not needs_health(snapshot, now=now, interval=interval):
        return None
    if snapshot is None:
        if health.last_error:
            return Banner(WARNING, f"No fleet data yet: the first poll failed. {health.last_error}")
        return Banner(INFO, "Fleet data is loading: the first poll has not finished yet.")
    message = (
        f"Fleet data is {describe_age(now - snapshot.as_of)} old "
        f"(as of {snapshot.as_of:%Y-%m-%d %H:%M:%S} UTC)."
    )
    if health.failures and health.last_error:
        message += f" The last {_polls(health.failures)} failed: {health.last_error}"
    elif health.running_since is not None:
        message += f" A poll has been running for {describe_age(now - health.running_since)}."
    else:
        message += " No poll has run since: check the Celery worker and beat."
    return Banner(WARNING, message)


def unreachable_banner() -> Banner:
    return Banner(
        ERROR,
        "Degraded: the fleet cache (Redis) is unreachable. Pages read the control API "
        "directly, without search, sorting or history, until it is back.",
    )


def _polls(n: int) -> str:
    return "poll" if n == 1 else f"{n} polls"
