"""The Redis clients of a dashboard process, as the settings configure them, and the prefix
of every key the dashboard keeps there.

Its own module: the read model's configuration (devices.configured) and the upstream call
counts (devices.upstream_calls), which every upstream client reports to, both need them.
Every client is made by fleet.redis_connection: from REDIS_URL, or through Sentinel when
REDIS_SENTINELS is set (then a client finds the new master by itself after a failover).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from fleet.redis_connection import RedisAddress

# Pages must fall into degraded mode at once when Redis is away, not after a
# default 5-second timeout and three retries per call.
PAGE_REDIS_CONNECT_TIMEOUT = 0.5
PAGE_REDIS_READ_TIMEOUT = 2.0


def key_prefix() -> str:
    """The prefix of every key the dashboard keeps in Redis."""
    return settings.READ_MODEL_KEY_PREFIX


def address() -> RedisAddress:
    """Where the read model's Redis is: REDIS_URL, or the master the sentinels name."""
    return RedisAddress(
        settings.REDIS_URL,
        tuple(settings.REDIS_SENTINELS),
        settings.REDIS_SENTINEL_MASTER,
        settings.REDIS_SENTINEL_PASSWORD,
    )


def broker_address() -> RedisAddress:
    """The Celery broker's Redis. Through Sentinel, the broker URL is a sentinel:// one made
    from the same settings (config/broker.py), so it is the read model's address."""
    url = settings.CELERY_BROKER_URL
    if urlsplit(url).scheme in ("redis", "rediss"):
        return RedisAddress(url)
    return address()


def client(*, for_pages: bool) -> redis.Redis:
    """The process's client for the read model: pages' (short timeouts, no retry) or pollers'."""
    return _client(address(), for_pages)


def broker_client() -> redis.Redis:
    """A client of the Celery broker (a Redis), with the pages' short timeouts."""
    return _client(broker_address(), True)


@lru_cache(maxsize=8)
def _client(where: RedisAddress, for_pages: bool) -> redis.Redis:
    # One client (and connection pool) per process and role; redis-py resets the
    # pool in a forked worker by itself.
    if for_pages:
        return where.client(
            connect_timeout=PAGE_REDIS_CONNECT_TIMEOUT,
            read_timeout=PAGE_REDIS_READ_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
    # Pollers may run a long pipeline; they wait longer and retry a dropped connection.
    return where.client(connect_timeout=5, read_timeout=60)
