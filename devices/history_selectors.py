"""The fleet's history for pages: status transitions, flapping devices, the count series.
Each answer is empty with an `error` in words while Redis is unreachable."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis

from devices import configured
from fleet.store.history import FLAP_MIN_TRANSITIONS, CountPoint, Flapper, Transition


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class History:
    """History answers (transitions, flapping devices, count series)."""

    items: list | dict = field(default_factory=list)
    degraded: bool = False
    error: str | None = None


_NO_HISTORY = "History is unavailable while the fleet cache (Redis) is unreachable."


def transitions(
    *, org_ids: frozenset[int] | None, since: datetime, device_id: int | None = None
) -> History:
    try:
        found: list[Transition] = configured.read_model().transitions_since(
            since, device_id=device_id, org_ids=org_ids
        )
    except redis.RedisError:
        return History(degraded=True, error=_NO_HISTORY)
    return History(items=found)


def flapping_devices(
    *,
    org_ids: frozenset[int] | None,
    min_transitions: int = FLAP_MIN_TRANSITIONS,
    now: datetime | None = None,
) -> History:
    try:
        found: list[Flapper] = configured.read_model().flapping_devices(
            now=now or _now(), min_transitions=min_transitions, org_ids=org_ids
        )
    except redis.RedisError:
        return History(degraded=True, error=_NO_HISTORY)
    return History(items=found)


def org_counts_series(
    *, org_ids: frozenset[int] | None, since: datetime, until: datetime | None = None
) -> History:
    try:
        series: dict[int | str, list[CountPoint]] = configured.read_model().org_counts_series(
            since=since, until=until or _now(), org_ids=org_ids
        )
    except redis.RedisError:
        return History(items={}, degraded=True, error=_NO_HISTORY)
    return History(items=series)
