"""The wall's corner: how old its data is, and the alarm when the site's banner warns.

The rule is the banner's (fleet.freshness, read through devices.fleet_health): data
older than three poll intervals, a failing first poll, or Redis unreachable. A banner
that only informs (the first poll is still running) raises no alarm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from devices import fleet_health
from fleet import freshness


@dataclass(frozen=True)
class WallStatus:
    as_of: datetime | None  # the fleet snapshot's time; None: none, or unreadable
    age: str  # the data's age in words ("12 seconds"), "" without a snapshot
    message: str  # what the site's banner says, "" while the data is fresh
    alarm: bool  # the screen's edge turns red


def wall_status(now: datetime | None = None) -> WallStatus:
    now = now or datetime.now(UTC)
    snapshot = fleet_health.fleet_snapshot()
    banner = fleet_health.fleet_banner(now, snapshot=snapshot)
    info = snapshot.info
    return WallStatus(
        as_of=info.as_of if info else None,
        age=freshness.describe_age(now - info.as_of) if info else "",
        message=banner.message if banner else "",
        alarm=banner is not None and banner.level != freshness.INFO,
    )
