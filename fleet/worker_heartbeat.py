"""A Celery worker says it is alive: one sorted-set entry per worker, renewed by a thread.

Readiness asks "is any worker alive?" with one ZRANGE, instead of broadcasting a ping to
every worker and waiting for answers (`control.ping` costs a round of broker messages and
its whole timeout on every probe, and a worker busy with a poll answers late). The thread
runs in the worker's main process, which stays responsive while its children poll; a
worker that hangs or dies stops beating and drops out after STALE_AFTER.

Key (P = READ_MODEL_KEY_PREFIX): P workers:heartbeat  zset hostname -> time of last beat.
Plain Python and redis: no Django.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import redis

log = logging.getLogger(__name__)

EVERY = 10.0  # seconds between beats
STALE_AFTER = 60.0  # a worker silent this long counts as gone (several missed beats)


def key(prefix: str) -> str:
    return f"{prefix}workers:heartbeat"


def beat(client: redis.Redis, prefix: str, hostname: str, *, now: float | None = None) -> None:
    now = time.time() if now is None else now
    with client.pipeline(transaction=False) as pipe:
        pipe.zadd(key(prefix), {hostname: now})
        # Workers gone long ago are forgotten, so the set stays the size of the live pool.
        pipe.zremrangebyscore(key(prefix), "-inf", now - 10 * STALE_AFTER)
        pipe.execute()


def forget(client: redis.Redis, prefix: str, hostname: str) -> None:
    client.zrem(key(prefix), hostname)


def latest(client: redis.Redis, prefix: str) -> tuple[str, float] | None:
    """The worker that beat last and when (epoch seconds), or None if none ever did."""
    found = client.zrange(key(prefix), -1, -1, withscores=True)
    if not found:
        return None
    hostname, at = found[0]
    return hostname.decode(), at


class Heartbeat:
    """Beats every EVERY seconds in a daemon thread until `stop()`."""

    def __init__(self, client: redis.Redis, prefix: str, hostname: str, every: float = EVERY):
        self.client, self.prefix, self.hostname, self.every = client, prefix, hostname, every
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=self.every)
        with contextlib.suppress(redis.RedisError):  # it ages out by itself
            forget(self.client, self.prefix, self.hostname)

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                beat(self.client, self.prefix, self.hostname)
            except redis.RedisError as error:
                # Redis away: readiness says so on its own; beat again when it is back.
                log.warning("worker heartbeat not written: %s", error)
            self._stopped.wait(self.every)
