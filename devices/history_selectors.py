"""The fleet's history for pages: status transitions, flapping devices, the count series.

One device's transitions and the count series come from Redis, the fast copy of the last
week, unless PostgreSQL (devices.history_store, the durable copy) holds rows of the
asked range that Redis lacks: older than Redis keeps, or lost with a Redis restart, or
Redis unreachable. Flapping devices are counted in both copies (the higher count wins).
An answer is empty with an `error` in words only when neither can answer. `kept_since`:
from when the durable history starts (None: not known or empty)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import redis
from django.db import DatabaseError

from devices import configured, history_store
from fleet.read_model import ReadModel
from fleet.store.history import (
    FLAP_MIN_TRANSITIONS,
    FLAP_WINDOW,
    CountPoint,
    Flapper,
    Transition,
)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class History:
    """History answers (transitions, flapping devices, count series)."""

    items: list | dict = field(default_factory=list)
    degraded: bool = False
    error: str | None = None
    kept_since: datetime | None = None


_NO_HISTORY = "History is unavailable while the fleet cache (Redis) is unreachable."
_NO_FLAPPING = "Flapping devices are unknown while neither Redis nor the database answers."
# Redis times its points to the millisecond (stream ids), PostgreSQL to the microsecond.
_SLACK = timedelta(milliseconds=1)


def transitions(
    *, org_ids: frozenset[int] | None, since: datetime, device_id: int | None = None
) -> History:
    """Transitions at or after `since`, oldest first: the fleet's (Redis only, its week)
    or one device's (Redis, or PostgreSQL where Redis lacks the start of the range)."""
    try:
        found: list[Transition] = configured.read_model().transitions_since(
            since, device_id=device_id, org_ids=org_ids
        )
    except redis.RedisError:
        found = None
    if device_id is None:
        return History(degraded=True, error=_NO_HISTORY) if found is None else History(items=found)
    try:
        durable_first = history_store.first_change_at(device_id=device_id, since=since)
        kept_since = history_store.kept_since()
        if durable_first is not None and (not found or found[0].at > durable_first + _SLACK):
            found = history_store.status_changes(device_id=device_id, since=since, org_ids=org_ids)
    except DatabaseError:
        kept_since = None
    if found is None:
        return History(degraded=True, error=_NO_HISTORY)
    return History(items=found, kept_since=kept_since)


def flapping_devices(
    *,
    org_ids: frozenset[int] | None,
    min_transitions: int = FLAP_MIN_TRANSITIONS,
    now: datetime | None = None,
    model: ReadModel | None = None,
) -> History:
    """Devices that changed status at least `min_transitions` times in the last hour, most
    restless first. Both copies are read and each device keeps the higher count, so
    neither a Redis restart (its copy starts afresh) nor a poll whose database write
    failed hides a flapping device."""
    now = now or _now()
    found: dict[int, Flapper] = {}
    answered = False
    try:
        redis_found = (model or configured.read_model()).flapping_devices(
            now=now, min_transitions=min_transitions, org_ids=org_ids
        )
        answered = True
    except redis.RedisError:
        redis_found = []
    try:
        durable_found = history_store.flapping_devices(
            since=now - FLAP_WINDOW, min_transitions=min_transitions, org_ids=org_ids
        )
        answered = True
    except DatabaseError:
        durable_found = []
    if not answered:
        return History(degraded=True, error=_NO_FLAPPING)
    for flapper in [*redis_found, *durable_found]:
        known = found.get(flapper.device_id)
        if known is None or flapper.transitions > known.transitions:
            found[flapper.device_id] = flapper
    return History(items=sorted(found.values(), key=lambda f: (-f.transitions, f.device_id)))


def org_counts_series(
    *, org_ids: frozenset[int] | None, since: datetime, until: datetime | None = None
) -> History:
    """Up/Down per poll, as fleet.store.history's `org_counts_series` answers it (from
    PostgreSQL with org_ids None: the whole fleet under "all" only)."""
    until = until or _now()
    try:
        series: dict[int | str, list[CountPoint]] | None = (
            configured.read_model().org_counts_series(since=since, until=until, org_ids=org_ids)
        )
    except redis.RedisError:
        series = None
    try:
        durable_first = history_store.first_count_at(since=since, until=until, org_ids=org_ids)
        kept_since = history_store.kept_since()
        if durable_first is not None and _lacks_start(series, org_ids, durable_first):
            series = history_store.count_series(since=since, until=until, org_ids=org_ids)
    except DatabaseError:
        kept_since = None
    if series is None:
        return History(items={}, degraded=True, error=_NO_HISTORY)
    return History(items=series, kept_since=kept_since)


def _lacks_start(series, org_ids: frozenset[int] | None, durable_first: datetime) -> bool:
    """Whether Redis's answer (None: unreachable) starts later than the durable one."""
    if series is None:
        return True
    wanted = ["all"] if org_ids is None else list(org_ids)
    firsts = [series[o][0].at for o in wanted if series.get(o)]
    return not firsts or min(firsts) > durable_first + _SLACK
