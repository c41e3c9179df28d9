"""The fleet snapshot as a request reads it, the banner the layout shows when the fleet
data is not fresh, and the polls' health."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import redis

from devices import configured
from fleet import freshness, polling
from fleet.freshness import Banner
from fleet.store.current import SnapshotInfo
from fleet.store.health import PollHealth

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FleetSnapshot:
    """The read model's current snapshot as one request read it (`fleet_snapshot`), so a
    page's list reads and the layout's banner (`fleet_banner`) share one Redis round
    trip and one generation."""

    info: SnapshotInfo | None  # None: nothing polled yet, or Redis unreachable
    unreachable: bool = False


def fleet_snapshot() -> FleetSnapshot:
    try:
        return FleetSnapshot(configured.read_model().snapshot_info())
    except redis.RedisError as error:
        log.warning("fleet cache unreachable: %s", error)
        return FleetSnapshot(None, unreachable=True)


def fleet_banner(
    now: datetime | None = None, *, snapshot: FleetSnapshot | None = None
) -> Banner | None:
    """The banner the page layout shows: None while the fleet data is fresh.

    For `overview.context_processors.banner`; never raises, never calls the upstream.
    `snapshot`: the request's (`fleet_snapshot`), or read here. The poll's health is
    read only when the banner needs it (no snapshot, or a stale one).
    """
    now = now or datetime.now(UTC)
    snapshot = snapshot or fleet_snapshot()
    if snapshot.unreachable:
        return freshness.unreachable_banner()
    interval = configured.poll_interval()
    if not freshness.needs_health(snapshot.info, now=now, interval=interval):
        return None
    try:
        health = configured.read_model().poll_health(polling.FLEET)
    except redis.RedisError:
        return freshness.unreachable_banner()
    return freshness.banner_for(now=now, snapshot=snapshot.info, health=health, interval=interval)


def poll_health() -> dict[str, PollHealth] | None:
    """Both pollers' health for the operations panel; None when Redis is unreachable."""
    try:
        model = configured.read_model()
        return {poll: model.poll_health(poll) for poll in (polling.FLEET, polling.PROFILES)}
    except redis.RedisError:
        return None
