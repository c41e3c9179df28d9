"""The fleet cache's parts as the Django settings configure them.

Selectors and tasks get their read model, poll configuration and upstream
clients here; the fleet package never reads settings, it is given these values.
"""

from __future__ import annotations

from django.conf import settings

from devices.redis_clients import client, key_prefix
from devices.upstream import control_api
from fleet.polling import PollConfig
from fleet.read_model import ReadModel

# Degraded pages read the upstream directly: a short read timeout and no retry,
# so a page answers (with an error in words) even when the upstream hangs.
DEGRADED_UPSTREAM_TIMEOUT = (2.0, 5.0)


def read_model(*, for_pages: bool = True) -> ReadModel:
    return ReadModel(client(for_pages=for_pages), key_prefix())


def poll_interval() -> float:
    return float(settings.POLL_INTERVAL_SECONDS)


def poll_config() -> PollConfig:
    return PollConfig(
        page_size=int(settings.POLL_PAGE_SIZE),
        parallel=int(settings.POLL_PARALLEL_REQUESTS),
        interval=poll_interval(),
        full_every=float(settings.FULL_POLL_INTERVAL_SECONDS),
        lock_ttl=float(settings.POLL_LOCK_SECONDS),
        pages_per_range=int(settings.POLL_PAGES_PER_RANGE),
    )


def upstream():
    """A factory of upstream clients for pollers and refreshes (settings' timeouts)."""
    return control_api


def degraded_upstream():
    """A factory of upstream clients for pages reading past a missing cache."""
    return lambda: control_api(timeout=DEGRADED_UPSTREAM_TIMEOUT, max_retries=0)
