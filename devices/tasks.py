"""Celery tasks of the fleet cache: thin, they read settings and call fleet.polling.

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

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from accounts.models import ensure_organizations
from controlapi import errors
from devices import configured, refresh_requests
from devices.models import Claim
from fleet import polling

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
    try:
        report = polling.poll_fleet(
            model=configured.read_model(for_pages=False),
            api_factory=configured.upstream(),
            config=config,
            mode=mode,
            writers=configured.page_writers(),
        )
    except polling.PollFailed as failure:
        raise self.retry(
            exc=failure, countdown=_retry_delay(self, config.interval), expires=config.interval
        ) from failure
    if report.skipped:
        return "skipped: another poll is running"
    _ensure_organizations(report.organizations)
    _release_claims_of_devices_up_again(report.transitions)
    if report.duration >= config.interval:
        # The poll outlasted its interval (a large fleet): start the next one now,
        # back to back; beats meanwhile find the lock taken and skip.
        poll_fleet.apply_async(expires=config.interval)
    return f"{report.mode}: {report.devices} devices, {report.pages} pages"


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
            # A device that came Up on "refresh now" ends its claim, as after a poll.
            on_transitions=_release_claims_of_devices_up_again,
        )
    except (errors.ControlAPIError, polling.RefreshTimeout) as error:
        log.warning("refresh of device %s failed: %s", device_id, error)
        refresh_requests.finish(request_token, error=str(error))
        return f"failed: {error}"
    refresh_requests.finish(request_token)
    return f"device {device.id}: {device.status}"


def _ensure_organizations(ids) -> None:
    if not ids:
        return
    try:
        ensure_organizations(ids)
    except DatabaseError as error:
        # The poll itself succeeded; the next one tries again.
        log.warning("could not create organizations %s: %s", sorted(ids), error)


def _release_claims_of_devices_up_again(transitions) -> None:
    """A claim ("I'm on it") ends when a poll or a refresh sees its device come Up,
    whether or not anyone reads the triage board. A poll reports at most one
    transition per device."""
    came_up = {t.device_id for t in transitions if t.to_status == "Up"}
    if not came_up:
        return
    try:
        released, _ = Claim.objects.filter(device_id__in=came_up).delete()
    except DatabaseError as error:
        # The poll itself succeeded; the board (or the next transition) releases them.
        log.warning("could not release claims of devices up again: %s", error)
        return
    if released:
        log.info("released %s claim(s) of devices up again", released)
