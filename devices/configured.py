"""The fleet cache's parts as the Django settings configure them.

Selectors and tasks get their read model, poll configuration and upstream
clients here; the services in read_model and polling never read settings.

Settings read (with the default used when a setting is absent):
REDIS_URL, READ_MODEL_KEY_PREFIX ("noc:"), POLL_INTERVAL_SECONDS (30),
POLL_PAGE_SIZE (100), POLL_PARALLEL_REQUESTS (8), FULL_POLL_INTERVAL_SECONDS
(600), POLL_LOCK_SECONDS (60), POLL_PROCESSES (0 here; the settings default it to
the number of CPUs).
"""

from __future__ import annotations

from functools import lru_cache

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from devices.upstream import control_api
from fleet.page_writers import PageWriters
from fleet.polling import PollConfig
from fleet.read_model import ReadModel

# Pages must fall into degraded mode at once when Redis is away, not after a
# default 5-second timeout and three retries per call.
PAGE_REDIS_CONNECT_TIMEOUT = 0.5
PAGE_REDIS_READ_TIMEOUT = 2.0
# Degraded pages read the upstream directly: a short read timeout and no retry,
# so a page answers (with an error in words) even when the upstream hangs.
DEGRADED_UPSTREAM_TIMEOUT = (2.0, 5.0)


def _setting(name: str, default):
    return getattr(settings, name, default)


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


def key_prefix() -> str:
    """The prefix of every key the dashboard keeps in Redis."""
    return _setting("READ_MODEL_KEY_PREFIX", "noc:")


def read_model(*, for_pages: bool = True) -> ReadModel:
    return ReadModel(_client(settings.REDIS_URL, for_pages), key_prefix())


def poll_interval() -> float:
    return float(_setting("POLL_INTERVAL_SECONDS", 30))


def poll_config() -> PollConfig:
    return PollConfig(
        page_size=int(_setting("POLL_PAGE_SIZE", 100)),
        parallel=int(_setting("POLL_PARALLEL_REQUESTS", 8)),
        interval=poll_interval(),
        full_every=float(_setting("FULL_POLL_INTERVAL_SECONDS", 600)),
        lock_ttl=float(_setting("POLL_LOCK_SECONDS", 60)),
    )


def page_writers() -> PageWriters | None:
    """The worker processes full polls store their pages in, or None (in the poll's
    own process). One pool per process and setting, kept for every later poll: its
    workers take a moment to start."""
    processes = int(_setting("POLL_PROCESSES", 0))
    if processes <= 0:
        return None
    return _page_writers(settings.REDIS_URL, processes)


@lru_cache(maxsize=4)
def _page_writers(redis_url: str, processes: int) -> PageWriters:
    return PageWriters(redis_url, processes)


def upstream():
    """A factory of upstream clients for pollers and refreshes (settings' timeouts)."""
    return control_api


def degraded_upstream():
    """A factory of upstream clients for pages reading past a missing cache."""
    return lambda: control_api(timeout=DEGRADED_UPSTREAM_TIMEOUT, max_retries=0)
