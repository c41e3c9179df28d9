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
    timed out after `follow_limit()`. See `_follow_verdict` for what confirms an action."""
    if record.follow != ActionRecord.Follow.WAITING:
        return record
    now = _now()
    if now - record.created_at > follow_limit():
        ActionRecord.objects.filter(pk=record.pk, follow=ActionRecord.Follow.WAITING).update(
            follow=ActionRecord.Follow.TIMED_OUT
        )
        record.refresh_from_db()
        return record
    try:
        device = selectors.fetch_device(record.device_id)
    except (errors.ControlAPIError, RefreshTimeout) as error:
        log.info("following action %s: device not read: %s", record.pk, error)
        return record
    follow, note = _follow_verdict(record, device)
    changes: dict[str, Any] = {}
    if follow != ActionRecord.Follow.WAITING:
        changes = {"follow": follow, **({"message": note} if note else {})}
        if follow == ActionRecord.Follow.CONFIRMED:
            changes["confirmed_at"] = now
    elif not record.pending_seen and pending_entry(device, record.pending_name):
        changes = {"pending_seen": True}
    if changes:
        ActionRecord.objects.filter(pk=record.pk, follow=ActionRecord.Follow.WAITING).update(
            **changes
        )
        record.refresh_from_db()
    return record


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
