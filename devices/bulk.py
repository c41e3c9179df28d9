"""Bulk actions: one action (reboot, sync, reconfigure) over many devices, as a job.

A plan is made from the form (the ticked rows, or "all N matching" the list's
filter), inside the user's organizations, and shows how many devices in which
organizations before anything is sent. Devices where the user's role does not
allow the action are left out and counted. The job is a BulkJob with one
BulkItem per device, queued by what the caller passes (the view and the watchdog: the
Celery task devices.bulk_tasks.run_bulk_job) and run device by device
through the single-device service (`devices.device_actions.device_action`), which
audits each device's action.

Never twice: a worker claims an item with a conditional update
(pending -> sending). The item's idempotency key for the single-device service
is derived from the item, so an item left in "sending" by a worker that died is
retried with the same key, and the service answers with the first attempt's
record instead of sending again.

Never stalled: the worker running a job beats (BulkJob.heartbeat_at) after each
device. A job queued or running whose heartbeat is older than
BULK_JOB_STALL_SECONDS (its worker was killed: its unacknowledged message would
only come back after the broker's visibility timeout, an hour) is queued again by
beat's `resume_stalled_jobs`, at most every 30 s. The resumed run takes the devices
not yet sent; a device whose send the dead worker had begun is not sent again but
reported "outcome unknown", as on the device page.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import redis
from django.conf import settings
from django.db import transaction
from django.http import Http404, QueryDict

from accounts import audit, tenancy
from common import integers
from devices import (
    configured,
    device_actions,
    form_keys,
    list_filters,
    list_selectors,
    selectors,
)
from devices.models import ActionRecord, BulkItem, BulkJob

log = logging.getLogger(__name__)

BULK_ACTIONS = {name: device_actions.ACTIONS[name] for name in ("reboot", "sync", "reconf")}
# One job sends at most this many actions (ASSUMPTION: a bigger change is a maintenance
# window, planned with the upstream's own tooling, not a button).
MAX_DEVICES = 5000
DONE_STATES = {ActionRecord.State.SENT, ActionRecord.State.ALREADY_PENDING}


@dataclass
class Target:
    id: int
    name: str
    organization_id: int | None


@dataclass
class Plan:
    action: str = ""
    label: str = ""
    targets: list[Target] = field(default_factory=list)
    by_organization: list[tuple[str, int]] = field(default_factory=list)
    not_allowed: int = 0
    description: str = ""
    error: str | None = None
    form: dict[str, str] = field(default_factory=dict)  # carried to the confirmation

    @property
    def device_ids(self) -> list[int]:
        return [t.id for t in self.targets]


def plan_from_request(request) -> Plan:
    """Read the bulk form: `action`, and `devices` (ids, comma-separated, as the page's
    script and the confirmation send them) and the ticked `device` boxes (what a browser
    without the script sends), or `filter` (the list's query string) with `all_matching`."""
    action = request.POST.get("action", "")
    spec = BULK_ACTIONS.get(action)
    if spec is None:
        return Plan(error="Choose an action: reboot, sync or re-apply configuration.")
    plan = Plan(action=action, label=spec.label, form={"action": action})
    view_ids = request.scope.org_ids_or_none()
    try:
        if configured.read_model().snapshot_info() is None:
            # No device's organization is known yet: an empty plan would blame the role.
            plan.error = (
                "Bulk actions need the fleet cache, which is still being filled: "
                "try again in a minute."
            )
            return plan
        if request.POST.get("all_matching"):
            raw_filter = request.POST.get("filter", "")
            filters = list_filters.parse(
                QueryDict(raw_filter), scope=request.scope, now=datetime.now(UTC),
                outside=lambda org: tenancy.outside_scope_message(request, org),
            )  # fmt: skip
            if filters.errors:
                plan.error = " ".join(filters.errors)
                return plan
            devices = list_selectors.all_matching(view_ids, filters.without_paging(limit=1))
            plan.description = list_filters.describe(filters)
            plan.form.update(all_matching="1", filter=raw_filter)
        else:
            try:
                ticked = ",".join(request.POST.getlist("device"))
                ids = _ids(f"{request.POST.get('devices', '')},{ticked}")
            except ValueError as error:
                plan.error = str(error)
                return plan
            if not ids:
                plan.error = "Tick the devices to act on first, or choose “On all matching”."
                return plan
            model = configured.read_model()
            devices = [c.device for i in ids if (c := model.get_device(i)) is not None]
            devices = [d for d in devices if request.scope.allows(d.organization_id)]
            plan.description = "selected devices"
            plan.form.update(devices=",".join(map(str, ids)))
    except redis.RedisError:
        plan.error = "Bulk actions need the fleet cache (Redis), which is unreachable."
        return plan
    allowed = tenancy.scope_for(request.user, spec.permission)
    permitted = [d for d in devices if allowed.allows(d.organization_id)]
    plan.not_allowed = len(devices) - len(permitted)
    if len(permitted) > MAX_DEVICES:
        plan.error = (
            f"{len(permitted)} devices is more than one job may change ({MAX_DEVICES}): "
            "narrow the filter."
        )
        return plan
    plan.targets = [Target(d.id, d.name, d.organization_id) for d in permitted]
    names = list_selectors.organization_names(t.organization_id for t in plan.targets)
    counts = Counter(t.organization_id for t in plan.targets)
    plan.by_organization = sorted(
        ((names.get(o, "no organization"), n) for o, n in counts.items()), key=lambda x: -x[1]
    )
    if not plan.targets:
        plan.error = "None of these devices can be changed with your role: nothing to do."
    return plan


def _ids(raw: str) -> list[int]:
    """The selection's device ids; ValueError in words for a part that is not one."""
    ids = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        device_id = integers.int_or_none(part, minimum=1, maximum=integers.ID_MAX)
        if device_id is None:
            raise ValueError(
                f"“{part[:40]}” is not a device id (a whole number): select the devices again."
            )
        ids.append(device_id)
    return list(dict.fromkeys(ids))[: MAX_DEVICES + 1]


def start_job(
    *, user, plan: Plan, enqueue: Callable[[int], None] | None, key: str | None = None
) -> BulkJob:
    """Create the job and its items and queue it, once per confirmation form `key`: a key
    sent before raises form_keys.SentBefore (its job) or BadKey (another user's), and starts
    nothing. `key` None: no form (a caller of its own)."""
    form_keys.require(key)
    once = form_keys.creating_once(BulkJob, field="key", key=key, user=user, owner="user_id")
    with once, transaction.atomic():
        job = BulkJob.objects.create(
            user=user, action=plan.action, total=len(plan.targets),
            description=plan.description[:500], key=key,
        )  # fmt: skip
        BulkItem.objects.bulk_create(
            BulkItem(
                job=job,
                device_id=t.id,
                device_name=t.name[:200],
                organization_id=t.organization_id,
            )
            for t in plan.targets
        )
        if enqueue is not None:
            # After the commit, so the worker finds the job's rows.
            transaction.on_commit(lambda: enqueue(job.pk))
    return job


def stall_seconds() -> int:
    return int(settings.BULK_JOB_STALL_SECONDS)


def resume_stalled_jobs(
    *, requeue: Callable[[int], None], now: datetime | None = None
) -> list[int]:
    """Queue again, with `requeue(job id)`, the jobs queued or running without a heartbeat
    for stall_seconds()."""
    now = now or datetime.now(UTC)
    stalled = BulkJob.objects.filter(
        state__in=[BulkJob.State.QUEUED, BulkJob.State.RUNNING],
        heartbeat_at__lt=now - timedelta(seconds=stall_seconds()),
    ).values_list("pk", "heartbeat_at")
    resumed = []
    for job_id, heartbeat in stalled:
        # Conditional, so two watchdogs never queue one job twice; the new heartbeat gives
        # the queued run stall_seconds() to start before it is queued once more.
        if BulkJob.objects.filter(pk=job_id, heartbeat_at=heartbeat).update(heartbeat_at=now):
            log.warning("bulk job %s: no sign of its worker since %s, queued again", job_id,
                        heartbeat.isoformat(timespec="seconds"))  # fmt: skip
            requeue(job_id)
            resumed.append(job_id)
    return resumed


def _beat(job_id: int) -> None:
    BulkJob.objects.filter(pk=job_id).update(heartbeat_at=datetime.now(UTC))


def item_key(item: BulkItem) -> str:
    """The single-device action's idempotency key for this item: stable across retries."""
    return f"bulk-{item.job_id:08d}-{item.pk:010d}"


def run_job(job_id: int, *, resumed: bool = False) -> BulkJob:
    """Send the job's actions, device by device; safe to run again (a retried task).

    `resumed`: queued again by resume_stalled_jobs, so the worker that ran it before is
    taken for dead and a send it had begun is reported unknown, never sent again.
    """
    job = BulkJob.objects.select_related("user").get(pk=job_id)
    if job.finished:
        return job
    BulkJob.objects.filter(pk=job.pk, state=BulkJob.State.QUEUED).update(
        state=BulkJob.State.RUNNING
    )
    _beat(job.pk)
    # Pending items, and items a dead worker left mid-send (same key: never sent twice).
    for item in job.items.filter(state__in=[BulkItem.State.PENDING, BulkItem.State.SENDING]):
        if BulkJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            break
        key = item_key(item)
        claimed = BulkItem.objects.filter(
            pk=item.pk, state__in=[BulkItem.State.PENDING, BulkItem.State.SENDING]
        ).update(state=BulkItem.State.SENDING, action_key=key)
        if not claimed:
            continue
        outcome = _send_one(job, item, key, resumed=resumed)
        if outcome is not None:
            state, message = outcome
            BulkItem.objects.filter(pk=item.pk, state=BulkItem.State.SENDING).update(
                state=state, message=message[:500]
            )
        _beat(job.pk)
    job.refresh_from_db()
    if job.items.filter(state=BulkItem.State.SENDING).exists():
        # Another worker is still sending one: it finishes the job (or, if it died, the
        # watchdog resumes it).
        return job
    if job.cancel_requested:
        job.items.filter(state=BulkItem.State.PENDING).update(
            state=BulkItem.State.SKIPPED, message="Cancelled before it was sent."
        )
        final = BulkJob.State.CANCELLED
    else:
        final = BulkJob.State.DONE
    BulkJob.objects.filter(pk=job.pk).update(state=final, finished_at=datetime.now(UTC))
    job.refresh_from_db()
    return job


UNKNOWN_MESSAGE = (
    "The worker stopped while sending this: it may or may not have reached the device. "
    "Open the device and check before sending it again."
)


def _send_one(job: BulkJob, item: BulkItem, key: str, *, resumed: bool) -> tuple[str, str] | None:
    """The item's new state and message; None when another worker is still sending it."""
    try:
        record, replayed = device_actions.device_action(
            device_id=item.device_id, user=job.user, action=job.action, idempotency_key=key
        )
    except (Http404, selectors.DeviceNotFound):
        return BulkItem.State.FAILED, "The device is gone or no longer in your organizations."
    except device_actions.ActionInputError as error:
        return BulkItem.State.FAILED, str(error)
    except Exception as error:  # noqa: BLE001 -- one device's surprise must not stop the job
        log.exception("bulk job %s, device %s", job.pk, item.device_id)
        return BulkItem.State.FAILED, f"Not sent: {error}"
    if replayed and record.state == ActionRecord.State.SENDING:
        # The record was made just before the request went out, by a run that never
        # wrote down the answer.
        if not resumed:
            return None
        ActionRecord.objects.filter(pk=record.pk, state=ActionRecord.State.SENDING).update(
            state=ActionRecord.State.UNKNOWN, message=UNKNOWN_MESSAGE, finished_at=datetime.now(UTC)
        )
        return BulkItem.State.FAILED, UNKNOWN_MESSAGE
    if record.state in DONE_STATES:
        return BulkItem.State.DONE, record.message
    return BulkItem.State.FAILED, record.message


def progress(job: BulkJob) -> dict[str, int]:
    counts = Counter(job.items.values_list("state", flat=True))
    done, failed = counts[BulkItem.State.DONE], counts[BulkItem.State.FAILED]
    skipped = counts[BulkItem.State.SKIPPED]
    return {
        "done": done,
        "failed": failed,
        "skipped": skipped,
        "remaining": job.total - done - failed - skipped,
        "finished": done + failed + skipped,
        "total": job.total,
        "percent": round(100 * (done + failed + skipped) / job.total) if job.total else 100,
    }


def cancel_job(*, job: BulkJob, user) -> None:
    """Stop sending: devices not yet sent are skipped; those sent stay sent."""
    updated = BulkJob.objects.filter(
        pk=job.pk, state__in=[BulkJob.State.QUEUED, BulkJob.State.RUNNING]
    ).update(cancel_requested=True)
    if updated:
        audit.record_action(user=user, action="bulk_cancel", result=audit.OK,
                            parameters={"job": job.pk, "action": job.action})  # fmt: skip
        if job.state == BulkJob.State.QUEUED:
            # No worker has it yet: finish it here.
            run_job(job.pk)
