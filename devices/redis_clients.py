"""The Redis clients of a dashboard process, as the settings configure them, and the prefix
of every key the dashboard keeps there.

Its own module: the read model's configuration (devices.configured) and the upstream call
counts (devices.upstream_calls), which every upstream client reports to, both need them.
"""

from __future__ import annotations

from functools import lru_cache

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

# Pages must fall into degraded mode at once when Redis is away, not after a
# default 5-second timeout and three retries per call.
PAGE_REDIS_CONNECT_TIMEOUT = 0.5
PAGE_REDIS_READ_TIMEOUT = 2.0


def key_prefix() -> str:
    """The prefix of every key the dashboard keeps in Redis."""
    return settings.READ_MODEL_KEY_PREFIX


def client(*, for_pages: bool) -> redis.Redis:
    """The process's client for REDIS_URL: pages' (short timeouts, no retry) or pollers'."""
    return _client(settings.REDIS_URL, for_pages)


@lru_cache(maxsize=8)
def _client(url: str, for_pages: bool) -> redis.Redis:
    # One client (and connection pool) per process and role; redis-py resets the
    # pool in a forked worker by itself.
    if for_pages:
        return redis.Redis.from_url(
            url,
            socket_connect_timeout=PAGE_REDIS_CONNECT_TIMEOUT,
            socket_timeout=PAGE_REDIS_READ_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
    # Pollers may run a long pipeline; they wait longer and retry a dropped connection.
    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=60)
