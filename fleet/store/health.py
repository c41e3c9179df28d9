"""The pollers' health, as the operations panel and the metrics read it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
import redis

from fleet.store.keys import Keys
from fleet.store.values import from_epoch, to_json

# How many set-aside records the poll health names (the rest are counted).
SET_ASIDE_NAMED = 20


@dataclass(frozen=True, slots=True)
class PollHealth:
    """What the operations panel shows about one poller."""

    last_attempt: datetime | None = None
    last_success: datetime | None = None
    duration: float | None = None  # seconds, of the last finished attempt
    devices: int | None = None
    pages: int | None = None
    failures: int = 0  # consecutive failed attempts since the last success
    failures_total: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None  # the start of the poll that failed last
    mode: str | None = None  # "full" or "incremental" (fleet), "full" (profiles)
    running_since: datetime | None = None
    # Records the polls left out because they could not be stored: (device id or None,
    # why), the last full poll's and those of the incremental polls since, at most
    # SET_ASIDE_NAMED of them; `set_aside_total` counts them all.
    set_aside: tuple[tuple[int | None, str], ...] = ()
    set_aside_total: int = 0


def _set_aside_key(record: tuple[int | None, str]) -> int | str:
    return record[1] if record[0] is None else record[0]


class Health:
    """The health records of the pollers over one client."""

    def __init__(self, client: redis.Redis, keys: Keys):
        self.client = client
        self.keys = keys

    def poll_started(self, poll: str, *, at: datetime, mode: str) -> None:
        self.client.hset(
            self.keys.health(poll), mapping={"running_since": at.timestamp(), "mode": mode}
        )

    def poll_succeeded(
        self,
        poll: str,
        *,
        at: datetime,
        duration: float,
        devices: int,
        pages: int,
        mode: str,
        set_aside: Sequence[tuple[int | None, str]] = (),
    ) -> None:
        """Record a finished poll. `set_aside`: the records it could not store, (device
        id or None, why); a full poll's replace those recorded before (it read the whole
        fleet), an incremental poll's are added to them."""
        key = self.keys.health(poll)
        named, total = [tuple(r) for r in set_aside], len(set_aside)
        if mode != "full":
            kept = self.poll_health(poll)
            # One entry per device (per reason, for a record without an id).
            known = {_set_aside_key(r) for r in named}
            earlier = [r for r in kept.set_aside if _set_aside_key(r) not in known]
            total += kept.set_aside_total - (len(kept.set_aside) - len(earlier))
            named = earlier + named
        with self.client.pipeline() as pipe:
            pipe.hset(
                key,
                mapping={
                    "last_attempt": at.timestamp(),
                    "last_success": at.timestamp(),
                    "duration": duration,
                    "devices": devices,
                    "pages": pages,
                    "failures": 0,
                    "mode": mode,
                    "set_aside": to_json([list(r) for r in named[:SET_ASIDE_NAMED]]),
                    "set_aside_total": total,
                },
            )
            pipe.hdel(key, "running_since")
            pipe.execute()

    def poll_failed(
        self,
        poll: str,
        *,
        at: datetime,
        duration: float,
        error: str,
        pages: int,
        mode: str,
        kind: str = "other",
    ) -> None:
        """`kind`: the failure's reason in one word (fleet.poll_failures), counted apart."""
        key = self.keys.health(poll)
        with self.client.pipeline() as pipe:
            pipe.hset(
                key,
                mapping={
                    "last_attempt": at.timestamp(),
                    "duration": duration,
                    "pages": pages,
                    "last_error": error,
                    "last_error_at": at.timestamp(),
                    "mode": mode,
                },
            )
            pipe.hincrby(key, "failures", 1)
            pipe.hincrby(key, "failures_total", 1)
            pipe.hincrby(self.keys.failure_kinds(poll), kind, 1)
            pipe.hdel(key, "running_since")
            pipe.execute()

    def poll_health(self, poll: str) -> PollHealth:
        stored = self.client.hgetall(self.keys.health(poll))
        raw = {k.decode(): v.decode() for k, v in stored.items()}

        def number(name, kind=float):
            return kind(float(raw[name])) if name in raw else None

        return PollHealth(
            last_attempt=from_epoch(raw.get("last_attempt")),
            last_success=from_epoch(raw.get("last_success")),
            duration=number("duration"),
            devices=number("devices", int),
            pages=number("pages", int),
            failures=number("failures", int) or 0,
            failures_total=number("failures_total", int) or 0,
            last_error=raw.get("last_error"),
            last_error_at=from_epoch(raw.get("last_error_at")),
            mode=raw.get("mode"),
            running_since=from_epoch(raw.get("running_since")),
            set_aside=tuple(tuple(r) for r in orjson.loads(raw.get("set_aside") or "[]")),
            set_aside_total=number("set_aside_total", int) or 0,
        )

    def poll_failure_kinds(self, poll: str) -> dict[str, int]:
        """Failed attempts of one poller by reason (fleet.poll_failures) since Redis
        was last emptied: the metrics' counters."""
        stored = self.client.hgetall(self.keys.failure_kinds(poll))
        return {kind.decode(): int(count) for kind, count in stored.items()}
