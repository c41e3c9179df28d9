"""Prometheus metrics at /metrics: what django-prometheus counts per request, and the
fleet's state read at scrape time (docs/OPERATIONS.md lists every metric).

Request counts and latencies per view come from django-prometheus's middleware (per
process; set PROMETHEUS_MULTIPROC_DIR to add up a gunicorn's workers). Everything else is
read when Prometheus scrapes, from where every process sees the same thing: the read
model's poll health and counts, the broker's queue, the database's action records, and
the upstream calls every process (web and worker) adds up in Redis. So any web process
answers the same, and a Celery worker needs no endpoint of its own.

A scrape never fails: a dependency that does not answer is reported down
(`noc_dependency_up`) and its metrics are left out.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging

import redis
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from devices import configured
from devices.redis_clients import broker_client
from devices.upstream_calls import UPSTREAM_CALLS_KEY, upstream_calls
from fleet import polling
from fleet.store.queries import DeviceQuery

log = logging.getLogger(__name__)


# --- the collector: read at scrape time ------------------------------------------------


class FleetCollector:
    """Reads the fleet's state when Prometheus scrapes; each source on its own, so one that
    is down costs only its own metrics."""

    def describe(self):
        # Described as none: registering must not run a scrape (Redis may be away at start).
        return []

    def collect(self):
        up = GaugeMetricFamily(
            "noc_dependency_up",
            "1 when the dependency answered this scrape, 0 when it did not.",
            labels=["dependency"],
        )
        for dependency, read in (
            ("redis", self._from_read_model),
            ("broker", self._from_broker),
            ("database", self._from_database),
        ):
            try:
                families = list(read())
            except (redis.RedisError, DatabaseError, OSError) as error:
                log.warning("metrics: %s did not answer: %s", dependency, error)
                up.add_metric([dependency], 0)
                continue
            up.add_metric([dependency], 1)
            yield from families
        yield up

    def _from_read_model(self):
        upstream_calls.flush()  # this process's own calls, so the scrape includes them
        model = configured.read_model()
        devices = GaugeMetricFamily(
            "noc_devices",
            "Devices in the fleet cache per organization and status.",
            labels=["organization", "status"],
        )
        info = model.snapshot_info()
        by_org = model.current_org_counts()
        for org, (n_up, n_down) in sorted(by_org.items()):
            devices.add_metric([str(org), "up"], n_up)
            devices.add_metric([str(org), "down"], n_down)
        if info is not None:
            # Devices without an organization are in no organization's set: the rest.
            fleet = model.query(DeviceQuery(limit=1), None, info=info).counts
            known = {
                "up": sum(up for up, _ in by_org.values()),
                "down": sum(down for _, down in by_org.values()),
            }
            for status in ("up", "down"):
                rest = fleet[status] - known[status]
                if rest > 0:
                    devices.add_metric(["none", status], rest)
        yield devices

        snapshot = GaugeMetricFamily(
            "noc_fleet_snapshot_timestamp_seconds",
            "When the poll that produced the pages' fleet data started (Unix time).",
        )
        if info is not None:
            snapshot.add_metric([], info.as_of.timestamp())
        yield snapshot

        last_success = GaugeMetricFamily(
            "noc_poll_last_success_timestamp_seconds",
            "When the last successful poll started (Unix time).",
            labels=["poller"],
        )
        duration = GaugeMetricFamily(
            "noc_poll_duration_seconds",
            "How long the last finished poll took, successful or not.",
            labels=["poller"],
        )
        consecutive = GaugeMetricFamily(
            "noc_poll_consecutive_failures",
            "Failed polls in a row since the last success.",
            labels=["poller"],
        )
        failures = CounterMetricFamily(
            "noc_poll_failures",
            "Failed polls by reason (since Redis was last emptied).",
            labels=["poller", "reason"],
        )
        set_aside = GaugeMetricFamily(
            "noc_poll_records_set_aside",
            "Upstream records the last successful poll could not read and set aside.",
            labels=["poller"],
        )
        for poller in (polling.FLEET, polling.PROFILES):
            health = model.poll_health(poller)
            if health.last_success is not None:
                last_success.add_metric([poller], health.last_success.timestamp())
            if health.duration is not None:
                duration.add_metric([poller], health.duration)
            consecutive.add_metric([poller], health.failures)
            for reason, n in sorted(model.poll_failure_kinds(poller).items()):
                failures.add_metric([poller, reason], n)
            aside = records_set_aside(health)
            if aside is not None:
                set_aside.add_metric([poller], aside)
        yield from (last_success, duration, consecutive, failures, set_aside)

        calls = CounterMetricFamily(
            "noc_upstream_calls",
            "Requests sent to the control API by endpoint and outcome (HTTP status, or "
            "unreachable / no_answer / not_sent), from every web and worker process.",
            labels=["method", "endpoint", "outcome"],
        )
        stored = model.client.hgetall(configured.key_prefix() + UPSTREAM_CALLS_KEY)
        for field, n in sorted(stored.items()):
            method, endpoint, outcome = field.decode().split(" ", 2)
            calls.add_metric([method, endpoint, outcome], int(n))
        yield calls

    def _from_broker(self):
        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        length = GaugeMetricFamily(
            "noc_celery_queue_length",
            "Messages waiting in the Celery queue (not yet taken by a worker).",
            labels=["queue"],
        )
        length.add_metric([queue], broker_client().llen(queue))
        yield length

    def _from_database(self):
        # Imported here: models need the app registry, ready only after settings load.
        from devices.models import ActionRecord

        actions = GaugeMetricFamily(
            "noc_actions",
            "Device actions by action and state (sending, sent, failed, unknown, refused, "
            "already_pending) as the action records hold them now.",
            labels=["action", "state"],
        )
        rows = (
            ActionRecord.objects.order_by().values_list("action", "state").annotate(n=Count("id"))
        )
        for action, state, n in rows:
            actions.add_metric([action, state], n)
        yield actions


def records_set_aside(health) -> int | None:
    """How many records the polls set aside (`set_aside_total`; `set_aside` names only the
    first few); None for a poll health that does not count them, and the metric is left out."""
    return getattr(health, "set_aside_total", None)


_collector = FleetCollector()
_registered = False


def register() -> None:
    """Add the collector to the default registry once per process (AppConfig.ready)."""
    global _registered
    if not _registered:
        REGISTRY.register(_collector)
        _registered = True


# --- the page -----------------------------------------------------------------------------


def _registry():
    if settings.PROMETHEUS_MULTIPROC_DIR:
        # Several processes (gunicorn workers): their request metrics are added up from the
        # shared directory; the fleet is read once, here.
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_collector)
        return registry
    return REGISTRY


def refusal(request) -> HttpResponse | None:
    """Why this request may not read /metrics, or None when it may. Closed unless
    METRICS_TOKEN or METRICS_ALLOWED_ADDRESSES is set; when both are, both must hold."""
    token = settings.METRICS_TOKEN
    networks = settings.METRICS_ALLOWED_ADDRESSES
    if not token and not networks:
        raise Http404("No such page.")
    if networks and not _address_allowed(request.META.get("REMOTE_ADDR", ""), networks):
        return HttpResponse(
            "This address may not read the metrics.\n", status=403, content_type="text/plain"
        )
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            response = HttpResponse(
                "The metrics need the bearer token (METRICS_TOKEN).\n",
                status=401,
                content_type="text/plain",
            )
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    return None


def _address_allowed(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


@require_GET
@never_cache
def metrics_view(request):
    refused = refusal(request)
    if refused is not None:
        return refused
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
