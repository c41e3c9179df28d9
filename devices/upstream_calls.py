"""Upstream calls counted by every process (web and Celery worker) and added up in Redis,
so /metrics, served by any web process, reports them all (noc_upstream_calls_total).

devices.upstream wires it into every client.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import redis

from devices.redis_clients import client, key_prefix

# The upstream calls of every process, added up in Redis: field "<method> <endpoint> <outcome>".
UPSTREAM_CALLS_KEY = "metrics:upstream_calls"
# After Redis failed to take the counts, keep them in memory this long before trying again,
# so an upstream call never waits on a Redis that is away.
RETRY_FLUSH_AFTER = 30.0


class UpstreamCallTally:
    """The observer the control API client calls for each request (controlapi.client).

    Each call is added to Redis at once (one HINCRBY); while Redis is away the counts wait
    in memory and go with the first call after RETRY_FLUSH_AFTER. Counts waiting when a
    process exits are lost: the counters are a close count, not an audit.
    """

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._waiting: Counter[str] = Counter()
        self._next_try = 0.0

    def __call__(self, method: str, endpoint: str, outcome: str) -> None:
        with self._lock:
            self._waiting[f"{method} {endpoint} {outcome}"] += 1
            if self._clock() < self._next_try:
                return
            counts, self._waiting = self._waiting, Counter()
        self._flush(counts)

    def flush(self) -> None:
        with self._lock:
            counts, self._waiting = self._waiting, Counter()
        if counts:
            self._flush(counts)

    def _flush(self, counts: Counter[str]) -> None:
        key = key_prefix() + UPSTREAM_CALLS_KEY
        try:
            with client(for_pages=True).pipeline(transaction=False) as pipe:
                for field, n in counts.items():
                    pipe.hincrby(key, field, n)
                pipe.execute()
        except redis.RedisError:
            with self._lock:
                self._waiting.update(counts)
                self._next_try = self._clock() + RETRY_FLUSH_AFTER


upstream_calls = UpstreamCallTally()
