"""/readyz: can this deployment do its work now? (/healthz only says the process answers.)

Ready means: the database answers; Redis answers and is new enough for the read model; the
Celery broker answers; a worker beat within fleet.worker_heartbeat.STALE_AFTER; and the
last successful fleet poll is younger than READY_MAX_POLL_AGE_SECONDS. Otherwise 503 with
every reason in words. The reasons name no host, address or credential: the page is open.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from devices import configured
from devices.redis_clients import broker_client
from fleet import polling, worker_heartbeat
from fleet.freshness import describe_age
from fleet.redis_server import NEEDED, version_of

log = logging.getLogger(__name__)


class NotReady(Exception):
    """A check failed; the message says why, as a sentence."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    words: str


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        log.warning("readiness: the database did not answer: %s", error)
        raise NotReady("The database does not answer.") from error
    return "answers"


def check_redis() -> str:
    try:
        version = version_of(configured.read_model().client)
    except redis.RedisError as error:
        raise NotReady("Redis (the fleet cache) does not answer.") from error
    if not version.supported:
        raise NotReady(f"Redis is {version}, too old: the dashboard needs {NEEDED}.")
    return str(version)


def check_broker() -> str:
    try:
        broker_client().ping()
    except redis.RedisError as error:
        raise NotReady("The Celery broker does not answer.") from error
    return "answers"


def check_worker() -> str:
    try:
        found = worker_heartbeat.latest(configured.read_model().client, configured.key_prefix())
    except redis.RedisError as error:
        raise NotReady("No worker can be seen: Redis does not answer.") from error
    if found is None:
        raise NotReady("No Celery worker has reported since Redis started.")
    hostname, at = found
    age = max(0.0, time.time() - at)
    if age > worker_heartbeat.STALE_AFTER:
        raise NotReady(f"No Celery worker has reported for {_age(age)} (last: {hostname}).")
    return f"{hostname} reported {_age(age)} ago"


def check_fleet_poll() -> str:
    limit = float(settings.READY_MAX_POLL_AGE_SECONDS)
    try:
        health = configured.read_model().poll_health(polling.FLEET)
    except redis.RedisError as error:
        raise NotReady("The fleet poll's health cannot be read: Redis does not answer.") from error
    if health.last_success is None:
        raise NotReady("No fleet poll has succeeded yet.")
    age = max(0.0, (datetime.now(UTC) - health.last_success).total_seconds())
    if age > limit:
        # The error itself stays on the overview page: it may name an upstream or Redis host.
        why = (
            f" The last {health.failures} attempts failed; the overview page says why."
            if health.failures
            else ""
        )
        raise NotReady(
            f"The last successful fleet poll started {_age(age)} ago, "
            f"more than the {_age(limit)} allowed (READY_MAX_POLL_AGE_SECONDS).{why}"
        )
    return f"last success {_age(age)} ago"


CHECKS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("database", check_database),
    ("redis", check_redis),
    ("broker", check_broker),
    ("worker", check_worker),
    ("fleet_poll", check_fleet_poll),
)


def run_checks() -> list[Check]:
    results = []
    for name, check in CHECKS:
        try:
            results.append(Check(name, True, check()))
        except NotReady as failed:
            results.append(Check(name, False, str(failed)))
        except Exception:  # noqa: BLE001 -- a probe answers 503 in words, never 500
            log.exception("readiness check %s failed unexpectedly", name)
            results.append(Check(name, False, f"The {name} check failed unexpectedly."))
    return results


@require_GET
@never_cache
def readyz(request):
    results = run_checks()
    ready = all(c.ok for c in results)
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {c.name: c.words for c in results},
    }
    if not ready:
        body["reasons"] = [c.words for c in results if not c.ok]
    return JsonResponse(body, status=200 if ready else 503)


def _age(seconds: float) -> str:
    return describe_age(timedelta(seconds=seconds))
