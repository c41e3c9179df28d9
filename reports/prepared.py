"""An organization's report prepared by a worker: past REPORT_BACKGROUND_DEVICES devices a
report takes longer than a page may wait (docs/PERFORMANCE.md, "an organization's uptime
report against a year of history"), so the page offers to prepare it. A person who may
export reports asks with a POST (audited); a Celery task (reports.tasks) builds it, with a
larger bound on the status changes read than a page's; the report is kept compressed and
the page and its CSV show what was kept, saying when it was prepared.

ASSUMPTIONS: the fleet cache's Up/Down counts say how many devices an organization has;
when the cache does not answer, the report is computed while the page waits (it then reads
only the devices whose status changed, and the queue, in the same Redis, is down too). A
prepared report is kept KEEP_DAYS days; one of a range still running is not refreshed by
itself (the page says when it was prepared and offers to prepare it again). One queued or
being prepared is not asked for twice.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import pickle
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import audit, tenancy
from devices import configured
from reports import availability, periods, sources, uptime
from reports.models import PreparedReport
from reports.periods import Period

log = logging.getLogger(__name__)

State = PreparedReport.State
KEEP_DAYS = 7
# A prepared report reads up to ten times the status changes a page reads (a worker has
# the time; its memory grows with them).
MAX_CHANGES = 10 * sources.MAX_CHANGES
# The task's own limit (reports.tasks); one "being prepared" for longer has lost its worker.
TIME_LIMIT_SECONDS = 30 * 60
# ASSUMPTION: a worker takes a queued report within this long when one is running.
UNCLAIMED_AFTER = timedelta(minutes=2)
NOT_QUEUED = (
    "The report could not be handed to a worker: the task queue (Redis) did not answer. "
    "Try again in a moment."
)
STALLED = (
    "The report was not finished: its worker stopped, or it ran past {minutes} minutes. "
    "Prepare it again; if it stops again, choose a shorter range."
)


def _shape() -> str:
    """A fingerprint of the classes a kept report is made of: one kept by a version of the
    dashboard whose classes differ is not read back (the page offers to prepare it again)."""
    shapes = [
        (kind.__qualname__, [(f.name, str(f.type)) for f in dataclasses.fields(kind)])
        for module in (availability, periods, uptime)
        for _, kind in sorted(vars(module).items())
        if isinstance(kind, type)
        and dataclasses.is_dataclass(kind)
        and kind.__module__ == module.__name__
    ]
    return hashlib.sha256(repr(shapes).encode()).hexdigest()[:16]


SHAPE = _shape()


def size(organization_id: int) -> int | None:
    """How many devices the organization has in the fleet cache (Up and Down); None when
    the cache does not answer."""
    try:
        counts = configured.read_model().current_org_counts()
    except redis.RedisError:
        return None
    return sum(counts.get(organization_id, (0, 0)))


def in_background(devices: int | None) -> bool:
    """Whether an organization of `devices` (None: unknown) has its report prepared by a
    worker rather than computed while the page waits."""
    return devices is not None and devices >= settings.REPORT_BACKGROUND_DEVICES


@dataclass(frozen=True)
class Status:
    """What is known of an organization's report over a period: the newest one ready
    (`ready`), one asked for after it and not finished (`pending`), or its failure in
    words when the newest ask failed (`failure`)."""

    devices: int
    ready: PreparedReport | None = None
    pending: PreparedReport | None = None
    failure: str = ""

    @property
    def waiting(self) -> bool:
        return self.pending is not None

    @property
    def unclaimed_for_long(self) -> bool:
        """Queued and taken by no worker for UNCLAIMED_AFTER: is a worker running?"""
        pending = self.pending
        return (
            pending is not None
            and pending.state == State.QUEUED
            and timezone.now() - pending.requested_at > UNCLAIMED_AFTER
        )


def _of(period: Period, organization_id: int):
    return PreparedReport.objects.filter(
        organization_id=organization_id,
        period=period.kind,
        first_day=period.first_day,
        last_day=period.last_day,
        zone=str(period.zone),
    )


def _stalled(prepared: PreparedReport, now) -> bool:
    return (
        prepared.state == State.BUILDING
        and prepared.started_at is not None
        and now - prepared.started_at > timedelta(seconds=TIME_LIMIT_SECONDS + 60)
    )


def status(period: Period, organization_id: int, devices: int) -> Status:
    """What is known of the report; `devices`: the organization's size, as the page says."""
    now = timezone.now()
    asked = _of(period, organization_id).defer("report")
    ready = asked.filter(state=State.READY, shape=SHAPE).order_by("-finished_at", "-id").first()
    newer = asked.order_by("-requested_at", "-id")
    if ready is not None:
        newer = newer.filter(requested_at__gt=ready.requested_at)
    newest = newer.first()
    if newest is None or newest.state == State.READY:
        return Status(devices, ready=ready)
    if newest.state == State.FAILED:
        return Status(devices, ready=ready, failure=newest.error)
    if _stalled(newest, now):
        return Status(
            devices, ready=ready, failure=STALLED.format(minutes=TIME_LIMIT_SECONDS // 60)
        )
    return Status(devices, ready=ready, pending=newest)


def report_of(prepared: PreparedReport) -> uptime.Report | None:
    """The report as the worker built it; None when it is gone meanwhile (a newer one of
    the same range replaced it) or cannot be read back."""
    stored = PreparedReport.objects.filter(pk=prepared.pk).values_list("report", flat=True)
    kept = stored.first()
    if kept is None:
        return None
    try:
        # Only this project's worker writes the column (`build`): its pickle is trusted.
        return pickle.loads(zlib.decompress(bytes(kept)))  # noqa: S301
    except Exception:  # noqa: BLE001 -- a report that cannot be read back is prepared again
        log.exception("prepared report %s could not be read back", prepared.pk)
        return None


def newest(
    period: Period, organization_id: int, devices: int
) -> tuple[Status, uptime.Report | None]:
    """What is known of the report, and the newest one ready, read back. Asked again once
    when the one found was replaced meanwhile by a newer one of the same range."""
    for _ in range(2):
        known = status(period, organization_id, devices)
        if known.ready is None:
            return known, None
        report = report_of(known.ready)
        if report is not None:
            return known, report
    return dataclasses.replace(known, ready=None), None


def ask(
    *, user, period: Period, organization_id: int, devices: int, queue: Callable[[int], None]
) -> Status:
    """Ask a worker to prepare the organization's report over `period`, unless one is
    queued or being prepared already; audited. `queue(id)` hands the task to the broker."""
    tenancy.ensure_allowed(user, tenancy.REPORT_EXPORT, organization_id)
    current = status(period, organization_id, devices)
    if current.waiting:
        return current
    now = timezone.now()
    with transaction.atomic():
        PreparedReport.objects.filter(requested_at__lt=now - timedelta(days=KEEP_DAYS)).delete()
        prepared = PreparedReport.objects.create(
            organization_id=organization_id,
            period=period.kind,
            first_day=period.first_day,
            last_day=period.last_day,
            zone=str(period.zone),
            requested_by=user,
            requested_at=now,
        )
    result, error = audit.OK, ""
    try:
        queue(prepared.pk)
    except Exception as refused:  # noqa: BLE001 -- any broker failure is said in words
        log.warning("report %s not queued: %s", prepared.pk, refused)
        result, error = audit.FAILED, NOT_QUEUED
        PreparedReport.objects.filter(pk=prepared.pk).update(
            state=State.FAILED, error=NOT_QUEUED, finished_at=timezone.now()
        )
    audit.record_action(
        user=user, action="report_prepare", result=result, organization_id=organization_id,
        parameters={"period": period.kind, "first_day": period.first_day.isoformat(),
                    "last_day": period.last_day.isoformat(), "zone": str(period.zone)},
        error_message=error,
    )  # fmt: skip
    return status(period, organization_id, devices)


def build(prepared_id: int) -> None:
    """The task's work: build the report asked for and keep it, or keep why not. A report
    already finished (the task delivered twice) is left as it is."""
    taken = PreparedReport.objects.filter(
        pk=prepared_id, state__in=(State.QUEUED, State.BUILDING)
    ).update(state=State.BUILDING, started_at=timezone.now())
    if not taken:
        return
    prepared = PreparedReport.objects.defer("report").get(pk=prepared_id)
    period = periods.period_of(
        prepared.period, prepared.first_day, prepared.last_day, ZoneInfo(prepared.zone)
    )
    try:
        report = uptime.build(
            period=period, organization_id=prepared.organization_id, max_changes=MAX_CHANGES
        )
    except sources.TooMuchHistory:
        _finish(prepared_id, state=State.FAILED, error=sources.TOO_MUCH.format(limit=MAX_CHANGES))
        return
    except Exception:
        log.exception("report %s could not be prepared", prepared_id)
        _finish(prepared_id, state=State.FAILED, error=(
            "The report could not be prepared: the worker met an error (its log says which). "
            "Try again in a moment."
        ))  # fmt: skip
        raise
    kept = zlib.compress(pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL), 6)
    _finish(prepared_id, state=State.READY, report=kept, shape=SHAPE, devices=len(report.devices))
    # The older ones of the same range are superseded.
    _of(period, prepared.organization_id).filter(requested_at__lt=prepared.requested_at).exclude(
        state__in=(State.QUEUED, State.BUILDING)
    ).delete()


def _finish(prepared_id: int, **values) -> None:
    PreparedReport.objects.filter(pk=prepared_id).update(finished_at=timezone.now(), **values)
