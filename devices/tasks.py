"""Celery tasks of the fleet cache: thin, they read settings and call fleet.polling and
fleet.full_poll.

A full poll is shared by every worker: `poll_fleet` begins it (lock, generation, first
page, plan) and sends its page ranges as a chord: a group of `store_fleet_range` tasks
whose body, `finish_fleet_poll`, runs once all of them have ended, on whichever worker
is free. No task waits for another. The chord's counting needs a result backend (the
same Redis, CELERY_RESULT_BACKEND); only the range tasks keep a result.

Delivery choices (the reasons are in docs/ARCHITECTURE.md, "Fleet cache"):
- acks_late + reject_on_worker_lost: a worker killed mid-poll leaves its message
  unacknowledged, so the poll is delivered again instead of lost;
- the Redis poll lock (fleet.locks) keeps a redelivered or overlapping poll
  from running at the same time as another;
- soft/hard time limits below the broker's visibility timeout, so a running poll
  is never handed to a second worker while the first still works on it;
- beat messages expire after one interval (config/settings.py), so a backlog
  of beats collapses instead of running one poll per missed beat.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime, timedelta

import redis
from celery import chord, current_app, shared_task
from django.conf import settings
from django.db import DatabaseError

from accounts.models import ensure_organizations
from controlapi import errors
from devices import action_follow, claims, configured, history_store, refresh_requests
from devices.models import ClaimEvent
from fleet import full_poll, polling
from fleet.full_poll import FullPollPlan
from fleet.poll_failures import failure_kind
from maintenance_windows.services import close_record_windows_gone

log = logging.getLogger(__name__)

# Seconds: about ten times what a full poll of a large fleet takes (docs/PERFORMANCE.md);
# a poll running longer is hung.
POLL_SOFT_TIME_LIMIT = settings.POLL_SOFT_TIME_LIMIT_SECONDS
POLL_HARD_TIME_LIMIT = POLL_SOFT_TIME_LIMIT + 30
MAX_POLL_RETRIES = 2

_poll_options = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": POLL_SOFT_TIME_LIMIT,
    "time_limit": POLL_HARD_TIME_LIMIT,
    "max_retries": MAX_POLL_RETRIES,
    "ignore_result": True,
}


def _retry_delay(task, interval: float) -> float:
    # 5 s, 10 s, ...: soon enough to matter, never later than the next beat.
    return min(5 * 2**task.request.retries, interval)


@shared_task(name="devices.tasks.poll_fleet", **_poll_options)
def poll_fleet(self, mode: str | None = None):
    config = configured.poll_config()
    model = configured.read_model(for_pages=False)
    try:
        if (mode or polling.choose_mode(model, config, datetime.now(UTC))) == polling.FULL:
            plan = full_poll.begin_full_poll(model, configured.upstream(), config)
            if plan is None:
                return "skipped: another poll is running"
            return _hand_out(self, plan)
        report = polling.poll_fleet(
            model=model, api_factory=configured.upstream(), config=config, mode=polling.INCREMENTAL
        )
    except polling.PollFailed as failure:
        raise self.retry(
            exc=failure, countdown=_retry_delay(self, config.interval), expires=config.interval
        ) from failure
    if report.skipped:
        return "skipped: another poll is running"
    _after_poll(report, config)
    return f"{report.mode}: {report.devices} devices, {report.pages} pages"


def _hand_out(task, plan: FullPollPlan) -> str:
    """The plan's ranges to every worker, the finish step after the last of them."""
    carried = plan.to_json()
    if task.request.is_eager:
        # Run in place (`apply()`, eager tests): the same tasks, one after the other; their
        # results are at hand, nothing waits for another process.
        stored = [_run_here(store_fleet_range, carried, *r) for r in plan.ranges]
        return _run_here(finish_fleet_poll, stored, carried)
    if not plan.ranges:
        return finish_fleet_poll.run([], carried)
    chord(
        [store_fleet_range.s(carried, start, end) for start, end in plan.ranges],
        finish_fleet_poll.s(carried),
    ).apply_async()
    return f"full poll of {plan.count} devices handed out in {len(plan.ranges)} ranges"


def _run_here(task, *args):
    return task.apply(args=args).get(disable_sync_subtasks=False)


# A range is about ten pages: a few seconds; a range still running after this is hung.
RANGE_SOFT_TIME_LIMIT = 300
MAX_RANGE_RETRIES = 3


@shared_task(
    name="devices.tasks.store_fleet_range",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=RANGE_SOFT_TIME_LIMIT,
    time_limit=RANGE_SOFT_TIME_LIMIT + 30,
    max_retries=MAX_RANGE_RETRIES,
    ignore_result=False,  # the chord counts its header's results
)
def store_fleet_range(self, plan: dict, start: int, end: int) -> dict:
    """One range of a full poll. Fetches are reads: an upstream error is retried with
    backoff; a range that finally fails (or anything else) is told to the finish step,
    which abandons the poll with the reason, rather than raised (a raised error would
    keep the chord's body from ever running)."""
    config = configured.poll_config()
    log.info(
        "storing range %s-%s of full poll %s on %s",
        start, end, plan["generation"], self.request.hostname,
    )  # fmt: skip
    try:
        summary = full_poll.store_range(
            configured.read_model(for_pages=False),
            configured.upstream(),
            config,
            FullPollPlan.from_json(plan),
            start,
            end,
        )
    except (errors.ControlAPIError, ValueError) as error:
        if self.request.retries < MAX_RANGE_RETRIES:
            raise self.retry(exc=error, countdown=min(2 * 2**self.request.retries, 30)) from error
        return _range_failed(start, end, error)
    except Exception as error:  # lock lost, Redis gone, time limit: the finish step says it
        return _range_failed(start, end, error)
    summary["worker"] = self.request.hostname
    log.info(
        "stored range %s-%s of full poll %s (%s pages) on %s",
        start, end, plan["generation"], summary["pages"], summary["worker"],
    )  # fmt: skip
    return summary


def _range_failed(start: int, end: int, error: Exception) -> dict:
    reason = full_poll.failure_reason(error, 0)
    log.warning("range %s-%s of a full poll failed: %s", start, end, reason)
    return {
        "start": start,
        "end": end,
        "failed": f"Devices {start} to {end - 1}: {reason}",
        "kind": failure_kind(error),
    }


@shared_task(
    name="devices.tasks.finish_fleet_poll",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=POLL_SOFT_TIME_LIMIT,
    time_limit=POLL_HARD_TIME_LIMIT,
    ignore_result=True,
)
def finish_fleet_poll(self, results: list, plan: dict) -> str:
    """Publish a full poll whose ranges have all ended, or abandon it with the reason."""
    config = configured.poll_config()
    failures = [(r["failed"], r["kind"]) for r in results if r and r.get("failed")]
    try:
        finished = full_poll.finish_full_poll(
            configured.read_model(for_pages=False),
            configured.upstream(),
            config,
            FullPollPlan.from_json(plan),
            failures=failures,
        )
    except full_poll.AlreadyFinished:
        return "already published"
    except polling.PollFailed as failure:
        return f"failed: {failure}"
    per_worker = Counter(r.get("worker") for r in results if r and not r.get("failed"))
    log.info(
        "full poll %s published: %s devices, %s pages, ranges per worker %s",
        plan["generation"], finished.devices, finished.pages, dict(per_worker),
    )  # fmt: skip
    _after_poll(finished, config)
    return f"full: {finished.devices} devices, {finished.pages} pages"


def _after_poll(report, config) -> None:
    """What follows a successful poll: its history is kept in PostgreSQL, the
    organizations it saw exist, claims of devices Up again for long enough end, actions
    waiting for their device are settled and the maintenance-record windows of devices that
    left the fleet end (after a full poll), and a poll that outlasted its
    interval is followed at once."""
    _record_history(report)
    _ensure_organizations(report.organizations)
    _end_claims_of_devices_up_again()
    if report.mode == polling.FULL and report.started_at is not None:
        _follow_waiting_actions(read_since=report.started_at)
        _end_record_windows_of_devices_gone()
    _evaluate_notifications(config)
    if report.duration >= config.interval:
        # The poll outlasted its interval (a large fleet): start the next one now,
        # back to back; beats meanwhile find the lock taken and skip.
        poll_fleet.apply_async(expires=config.interval)


# By name: the notifications app (alerts) sits above this one and reads what polls record.
EVALUATE_NOTIFICATIONS = "alerts.evaluate"


def _evaluate_notifications(config) -> None:
    """Notifications follow each poll at once; beat evaluates too, as a backstop."""
    try:
        current_app.signature(EVALUATE_NOTIFICATIONS).apply_async(
            expires=config.interval, retry=False
        )
    except Exception as error:  # noqa: BLE001 -- any broker failure: beat's run evaluates it
        log.warning("notifications not evaluated after the poll: %s", error)


@shared_task(name="devices.tasks.poll_profiles", **_poll_options)
def poll_profiles(self):
    interval = _profile_interval()
    try:
        report = polling.poll_profiles(
            model=configured.read_model(for_pages=False), api_factory=configured.upstream()
        )
    except polling.PollFailed as failure:
        raise self.retry(
            exc=failure, countdown=_retry_delay(self, interval), expires=interval
        ) from failure
    if report.skipped:
        return "skipped: another profile poll is running"
    return f"{report.devices} profiles"


def start_up_polls() -> None:
    """Send the first fleet poll (full when there is no snapshot, or an old one) and the first
    profile poll; each expires after its interval, as a beat's does."""
    poll_fleet.apply_async(expires=configured.poll_interval())
    poll_profiles.apply_async(expires=_profile_interval())


def _profile_interval() -> float:
    return float(settings.PROFILE_POLL_INTERVAL_SECONDS)


# "Refresh now": nobody waits for it after a minute, and a lost one is simply
# clicked again, so early acknowledgement and a short expiry.
@shared_task(
    name="devices.tasks.refresh_device",
    soft_time_limit=30,
    time_limit=40,
    expires=60,
    ignore_result=True,
)
def refresh_device(device_id: int, request_token: str = ""):
    """`request_token`: the "Refresh" press waiting for this task, told how it ended."""
    try:
        device = polling.refresh_device(
            model=configured.read_model(for_pages=False),
            api_factory=configured.upstream(),
            device_id=int(device_id),
            update_status=True,
            # What the refresh saw is durable history too; claims end as after a poll.
            on_transitions=_after_refresh,
        )
    except (errors.ControlAPIError, polling.RefreshTimeout) as error:
        log.warning("refresh of device %s failed: %s", device_id, error)
        refresh_requests.finish(request_token, error=str(error))
        return f"failed: {error}"
    refresh_requests.finish(request_token)
    return f"device {device.id}: {device.status}"


def queue_refresh(device_id: int, request_token: str) -> bool:
    """Send "Refresh now" to a worker; False when the broker cannot take it."""
    try:
        refresh_device.delay(device_id, request_token)
    except Exception as error:  # noqa: BLE001 -- any broker failure: the page says so
        log.warning("refresh of device %s not queued: %s", device_id, error)
        return False
    return True


def _record_history(report) -> None:
    if report.started_at is None:
        return
    try:
        history_store.record_poll(
            seen_by=report.mode,
            at=report.started_at,
            transitions=report.transitions,
            org_counts=report.org_counts,
        )
    except DatabaseError as error:
        # Redis holds the poll's history meanwhile (a week); the durable copy misses it.
        log.warning("could not keep the poll's history in the database: %s", error)


def _after_refresh(transitions) -> None:
    try:
        history_store.record_refresh(transitions, at=datetime.now(UTC))
    except DatabaseError as error:
        log.warning("could not keep a refresh's status change in the database: %s", error)
    _end_claims_of_devices_up_again()


@shared_task(name="devices.tasks.prune_history", ignore_result=True, soft_time_limit=1800)
def prune_history() -> str:
    """Beat: delete durable history older than HISTORY_RETENTION_DAYS, in batches, and the
    claims' steps of that age (a few per outage: one statement)."""
    cutoff = datetime.now(UTC) - timedelta(days=settings.HISTORY_RETENTION_DAYS)
    deleted = history_store.prune(older_than=cutoff)
    deleted += ClaimEvent.objects.filter(at__lt=cutoff).delete()[0]
    if deleted:
        log.info("pruned %s history rows older than %s", deleted, cutoff.isoformat())
    return f"{deleted} rows pruned"


def _ensure_organizations(ids) -> None:
    if not ids:
        return
    try:
        ensure_organizations(ids)
    except DatabaseError as error:
        # The poll itself succeeded; the next one tries again.
        log.warning("could not create organizations %s: %s", sorted(ids), error)


def _follow_waiting_actions(*, read_since) -> None:
    """Actions still waiting for their device are settled from a full poll's copy, whether
    or not anyone keeps their page open (an incremental poll reads only the devices whose
    status changed)."""
    try:
        settled = action_follow.follow_waiting_actions(
            configured.read_model(for_pages=False), read_since=read_since
        )
    except (DatabaseError, redis.RedisError) as error:
        # The poll itself succeeded; the next poll (or the device's page) settles them.
        log.warning("could not follow the actions waiting for their device: %s", error)
        return
    if settled:
        log.info("settled %s action(s) waiting for their device", settled)


def _end_record_windows_of_devices_gone() -> None:
    """A device deleted by another client leaves its maintenance-record window open, and its
    record can no longer be saved here: the full poll that no longer sees it ends it."""
    model = configured.read_model(for_pages=False)
    try:
        if model.snapshot_info() is None:  # without a snapshot nothing is known to be gone
            return
        ended = close_record_windows_gone(
            lambda ids: set(model.get_devices(ids)), now=datetime.now(UTC)
        )
    except (DatabaseError, redis.RedisError) as error:
        # The poll itself succeeded; the next full poll ends them.
        log.warning("could not end the record windows of devices gone: %s", error)
        return
    if ended:
        log.info("ended %s maintenance-record window(s) of devices gone", ended)


def _end_claims_of_devices_up_again() -> None:
    """A claim ("I'm on it") ends once its device has stayed Up for claims.KEPT_UP (a flap
    keeps it), whether or not anyone reads the triage board."""
    try:
        ended = claims.end_claims_up_again(
            configured.read_model(for_pages=False), now=datetime.now(UTC)
        )
    except (DatabaseError, redis.RedisError) as error:
        # The poll itself succeeded; the next poll (or the board) ends them.
        log.warning("could not end claims of devices up again: %s", error)
        return
    if ended:
        log.info("ended %s claim(s) of devices up again", ended)
