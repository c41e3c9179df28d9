"""Following a sent action: a fresh read of the device confirms it, contradicts it, or
leaves it waiting, until `follow_limit()` says "not confirmed"."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from controlapi import errors
from controlapi.records import Device
from devices import selectors
from devices.device_actions import ACTIONS, on_off, pending_entry
from devices.models import ActionRecord
from fleet.polling import RefreshTimeout

log = logging.getLogger(__name__)


def follow_limit() -> timedelta:
    """How long the page follows an action's pending entry before it says "not confirmed"."""
    return timedelta(seconds=settings.ACTION_FOLLOW_SECONDS)


def _now() -> datetime:
    return datetime.now(UTC)


def action_follow(*, record: ActionRecord) -> ActionRecord:
    """Advance a record's follow state from a fresh read of the device (single flight);
    past `follow_limit()`, that read is its last chance before "not confirmed". See
    `_follow_verdict` for what confirms an action."""
    if record.follow != ActionRecord.Follow.WAITING:
        return record
    now = _now()
    try:
        device = selectors.fetch_device(record.device_id)
    except (errors.ControlAPIError, RefreshTimeout) as error:
        log.info("following action %s: device not read: %s", record.pk, error)
        device = None
    return _settle(record, device, now=now)


def follow_waiting_actions(model, *, read_since: datetime, now: datetime | None = None) -> int:
    """After a full poll that started at `read_since`: settle every action still waiting
    that was answered before it, from the poll's copy of its device, so that an action is
    confirmed or timed out whether or not anyone keeps its page open. The copy is the
    list's shape, without the debug flag: debug actions are left to their page's reads.
    How many records changed. Raises redis.RedisError and DatabaseError."""
    now = now or _now()
    waiting = [
        record
        for record in ActionRecord.objects.filter(
            follow=ActionRecord.Follow.WAITING, finished_at__lt=read_since
        )
        if (spec := ACTIONS.get(record.action)) is None or spec.debug is None
    ]
    if not waiting:
        return 0
    devices = model.get_devices(r.device_id for r in waiting)
    changed = 0
    for record in waiting:
        if (device := devices.get(record.device_id)) is not None:
            changed += _settle(record, device, now=now).follow != ActionRecord.Follow.WAITING
    return changed


def _settle(record: ActionRecord, device: Device | None, *, now: datetime) -> ActionRecord:
    """Record what one read of the device (None: none) says of a waiting action: its
    verdict, or "not confirmed" once past `follow_limit()`."""
    follow, note = (
        _follow_verdict(record, device) if device is not None else (ActionRecord.Follow.WAITING, "")
    )
    changes: dict[str, Any] = {}
    if follow != ActionRecord.Follow.WAITING:
        changes = {"follow": follow, **({"message": note} if note else {})}
        if follow == ActionRecord.Follow.CONFIRMED:
            changes["confirmed_at"] = _confirmed_at(record, device, now)
    elif now - record.created_at > follow_limit():
        changes = {"follow": ActionRecord.Follow.TIMED_OUT}
    elif (
        device is not None
        and not record.pending_seen
        and pending_entry(device, record.pending_name)
    ):
        changes = {"pending_seen": True}
    if changes:
        ActionRecord.objects.filter(pk=record.pk, follow=ActionRecord.Follow.WAITING).update(
            **changes
        )
        record.refresh_from_db()
    return record


def _confirmed_at(record: ActionRecord, device: Device, now: datetime) -> datetime:
    """When the device did it: its last change after the answer (a read long after, by a
    page opened later, must not date the confirmation), else the moment of this read."""
    changed, answered = device.last_change, record.answered_change
    if changed and answered and answered < changed <= now:
        return changed
    return now


def _follow_verdict(record: ActionRecord, device: Device) -> tuple[str, str]:
    """(follow state, new message or "") that one read of the device gives the action.

    A debug action is confirmed by the device's flag alone, once nothing is pending for it,
    and contradicted when the flag ends up the other way. Any other action is confirmed when
    its pending entry is gone, after the entry was seen or the device changed since the
    answer. A read older than the answer (a fetch already in flight when it was sent)
    proves nothing.
    """
    waiting = ActionRecord.Follow.WAITING, ""
    answered, changed = record.answered_change, device.last_change
    if answered and changed and changed < answered:
        return waiting
    entry = pending_entry(device, record.pending_name)
    spec = ACTIONS.get(record.action)
    if spec is not None and spec.debug is not None:
        if entry is not None or device.debug is None:
            return waiting
        if device.debug == spec.debug:
            return ActionRecord.Follow.CONFIRMED, ""
        return ActionRecord.Follow.CONTRADICTED, (
            f"{spec.label} did not apply: the device reports debug "
            f"{on_off(device.debug)} with nothing pending."
        )
    if entry is not None:
        return waiting
    if record.pending_seen or (answered and changed and changed > answered):
        return ActionRecord.Follow.CONFIRMED, ""
    return waiting
