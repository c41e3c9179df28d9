"""Writes on devices: the actions, create, edit, delete. Keyword-only, one call each.

Every service checks the user's organizations itself (404 outside them), calls
the upstream once through `devices.upstream.control_api()` (writes are never
retried), records one audit entry and, when the upstream answered with the
device, puts that answer into the read model.

Outcome unknown: when a write timed out after it was sent (`Unavailable` with
`maybe_sent`), or was accepted with an answer that could not be read
(`UnreadableAnswer`), the action is recorded as UNKNOWN, never as failed or done, and
nothing sends it again by itself. A deliberate "send again" first re-reads the
device's `pending_settings` (`device_action_resend`).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404

from accounts import audit, tenancy
from common import integers
from controlapi import errors
from controlapi.records import Device, has_detail_fields
from devices import configured, selectors
from devices.models import ActionRecord
from devices.upstream import control_api
from fleet.polling import RefreshTimeout

log = logging.getLogger(__name__)


def action_timeout() -> tuple[float, float]:
    """(connect, read) seconds of an interactive write: a person is waiting, so shorter than
    the pollers' (ACTION_READ_TIMEOUT is the read part)."""
    return (3.05, float(settings.ACTION_READ_TIMEOUT))


KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def follow_limit() -> timedelta:
    """How long the page follows an action's pending entry before it says "not confirmed"."""
    return timedelta(seconds=settings.ACTION_FOLLOW_SECONDS)


@dataclass(frozen=True)
class ActionSpec:
    name: str  # the URL word
    label: str  # the button
    permission: str  # a tenancy action constant
    # The pending_settings entry the upstream tracks it with. ASSUMPTION: the reference
    # names only `reboot_scheduled` and `firmware_update`; the others are taken to be the
    # PATCH flag's name (`factory_reset`, `device_factory_reset`, `sync`, `reconf`, `debug`),
    # as the simulator writes them. Change them here when the real service shows otherwise.
    pending: str
    send: Callable[[Any, int, Mapping[str, Any]], Device]
    danger: bool = False  # typed confirmation of the device's name
    # The debug flag a debug action asks for: only the device's own flag confirms it, since
    # the upstream queues nothing when the request equals the flag it has applied so far.
    debug: bool | None = None


ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        ActionSpec("reboot", "Reboot", tenancy.REBOOT, "reboot_scheduled",
                   lambda api, i, p: api.reboot(i)),
        ActionSpec("sync", "Sync configuration", tenancy.SYNC, "sync",
                   lambda api, i, p: api.sync(i)),
        ActionSpec("reconf", "Re-apply configuration", tenancy.RECONF, "reconf",
                   lambda api, i, p: api.reconfigure(i)),
        ActionSpec("debug-on", "Debug on", tenancy.DEBUG, "debug",
                   lambda api, i, p: api.set_debug(i, True), debug=True),
        ActionSpec("debug-off", "Debug off", tenancy.DEBUG, "debug",
                   lambda api, i, p: api.set_debug(i, False), debug=False),
        ActionSpec("firmware", "Firmware update", tenancy.FIRMWARE, "firmware_update",
                   lambda api, i, p: api.schedule_firmware(i, p["firmware_image"])),
        ActionSpec("factory-reset", "Factory reset", tenancy.FACTORY_RESET, "factory_reset",
                   lambda api, i, p: api.factory_reset(i), danger=True),
        ActionSpec("device-factory-reset", "Device-only factory reset", tenancy.FACTORY_RESET,
                   "device_factory_reset", lambda api, i, p: api.device_factory_reset(i),
                   danger=True),
    )
}  # fmt: skip


class ActionInputError(ValueError):
    """Bad input for an action (no image id, wrong confirmation): nothing was sent."""


def _now() -> datetime:
    return datetime.now(UTC)


def _cache_answer(device: Device) -> None:
    try:
        model = configured.read_model()
        unstorable = model.update_devices([device], observed_at=_now()).set_aside
        if unstorable:  # the write was done: only the cache cannot hold its answer
            log.warning("device %s not cached after a write: %s", device.id, unstorable[0])
            return
        if has_detail_fields(device):  # a write answers with the detail record
            model.keep_detail(device, read_at=_now())
    except redis.RedisError as error:  # the next poll brings it in
        log.warning("could not cache device %s after a write: %s", device.id, error)


def _pending_entry(device: Device, name: str):
    return next((p for p in device.pending_settings if p.name == name), None)


def _on_off(flag: bool) -> str:
    return "on" if flag else "off"


def _own_entry(spec: ActionSpec, device: Device):
    """The pending entry that tracks this very action: for debug, only one for the same value
    (a pending "debug:on" says nothing about a Debug off)."""
    entry = _pending_entry(device, spec.pending)
    if (
        entry is not None
        and spec.debug is not None
        and entry.value not in (None, _on_off(spec.debug))
    ):
        return None
    return entry


def _contradiction(spec: ActionSpec, device: Device) -> str:
    """Why the upstream's answer to a debug action shows it will not apply, in words; "" when
    it does not say so. The upstream compares the request with the flag the device has
    applied, so a Debug off sent while "debug:on" is still pending queues nothing."""
    if spec.debug is None:
        return ""
    wanted = _on_off(spec.debug)
    entry = _pending_entry(device, spec.pending)
    if entry is not None and entry.value and entry.value != wanted:
        return (
            f"debug {entry.value} is still pending on the device ({entry.name}: {entry.value}), "
            f"so debug {wanted} was not queued and debug will be {entry.value}. "
            f"Send {spec.label} again once that change has applied"
        )
    if entry is None and device.debug is not None and device.debug != spec.debug:
        return (
            f"the device reports debug {_on_off(device.debug)} with nothing pending, "
            f"so debug {wanted} was not queued"
        )
    return ""


def check_action_input(spec: ActionSpec, device: Device, parameters: Mapping[str, Any]) -> dict:
    """The parameters the action sends, or ActionInputError in words."""
    clean: dict[str, Any] = {}
    if spec.name == "firmware":
        raw = str(parameters.get("firmware_image", ""))
        image = integers.int_or_none(raw, minimum=1, maximum=integers.ID_MAX)
        if image is None:
            raise ActionInputError("Type the firmware image id: a whole number, e.g. 47.")
        clean["firmware_image"] = image
    if spec.danger:
        typed = str(parameters.get("confirm_name", "")).strip()
        if not device.name or typed != device.name:
            raise ActionInputError(
                f"Type the device's name ({device.name}) exactly to confirm {spec.label.lower()}."
            )
    return clean


def _claim(*, key: str, user, device: Device, spec: ActionSpec, parameters, resend_of=None):
    """Create the record for this key, or return the one already there (replayed=True)."""
    if not KEY_PATTERN.match(key or ""):
        raise ActionInputError("This form has expired: reload the page and try again.")
    try:
        with transaction.atomic():
            record = ActionRecord.objects.create(
                key=key,
                user=user,
                device_id=device.id,
                device_name=device.name,
                organization_id=device.organization_id,
                action=spec.name,
                parameters=dict(parameters),
                pending_name=spec.pending,
                resend_of=resend_of,
            )
            return record, False
    except IntegrityError:
        record = ActionRecord.objects.get(key=key)
        if record.user_id != user.pk or record.device_id != device.id:
            raise Http404("No such action.") from None
        return record, True


def device_action(
    *,
    device_id: int,
    user,
    action: str,
    idempotency_key: str,
    parameters: Mapping[str, Any] | None = None,
    resend_of: ActionRecord | None = None,
) -> tuple[ActionRecord, bool]:
    """Send one device action at most once per key. Returns (record, replayed).

    Http404: unknown action. selectors.DeviceNotFound: a device the user cannot see.
    ActionInputError: bad input, nothing sent. A role that may see but not act gets a
    REFUSED record.
    """
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action.")
    device = selectors.device_for_user(user=user, device_id=device_id, detail=False).device
    clean = check_action_input(spec, device, parameters or {})
    record, replayed = _claim(
        key=idempotency_key, user=user, device=device, spec=spec, parameters=clean,
        resend_of=resend_of,
    )  # fmt: skip
    if replayed:
        return record, True
    if not tenancy.can(user, spec.permission, device.organization_id):
        _finish(
            record,
            ActionRecord.State.REFUSED,
            "Your role in this organization does not allow this action: nothing was sent.",
        )
        audit.record_action(
            user=user,
            action=spec.name,
            result=audit.FAILED,
            organization_id=device.organization_id,
            device_id=device.id,
            device_name=device.name,
            parameters=clean,
            error_message=record.message,
            request_id=record.key,
        )
        return record, False
    _send(record, spec, device, clean, user)
    return record, False


def _finish(record: ActionRecord, state: str, message: str, **fields) -> None:
    record.state = state
    record.message = message
    record.finished_at = _now()
    for name, value in fields.items():
        setattr(record, name, value)
    record.save()


def _send(record: ActionRecord, spec: ActionSpec, device: Device, clean, user) -> None:
    started = time.monotonic()
    result, status, answer = audit.OK, None, None
    try:
        with control_api(timeout=action_timeout()) as api:
            answer = spec.send(api, device.id, clean)
    except errors.Unavailable as error:
        status = None
        if error.maybe_sent:
            result = audit.UNKNOWN
            state, message = (
                ActionRecord.State.UNKNOWN,
                (
                    "No answer from the control API after the request was sent: it may or may "
                    "not have been accepted. Check the device before sending it again."
                ),
            )
        else:
            result = audit.FAILED
            state, message = ActionRecord.State.FAILED, f"Not sent: {error}"
    except errors.UnreadableAnswer as error:
        result, status, state, message = (
            audit.UNKNOWN,
            error.status,
            ActionRecord.State.UNKNOWN,
            (
                "The control API accepted the request but its answer could not be read: it was "
                "probably applied. Check the device before sending it again."
            ),
        )
    except errors.ControlAPIError as error:
        result, status = audit.FAILED, error.status
        state, message = ActionRecord.State.FAILED, str(error)
        if isinstance(error, errors.NotFound):
            selectors.forget_device(device.id)
    duration_ms = int((time.monotonic() - started) * 1000)
    follow, seen, answered_change = ActionRecord.Follow.NONE, False, None
    if answer is not None:
        status = 200
        _cache_answer(answer)
        state, follow = ActionRecord.State.SENT, ActionRecord.Follow.WAITING
        answered_change = answer.last_change
        entry = _own_entry(spec, answer)
        contradiction = _contradiction(spec, answer)
        if contradiction:
            follow = ActionRecord.Follow.CONTRADICTED
            message = f"{spec.label}: the control API answered, but not as asked: {contradiction}."
        else:
            seen = entry is not None
            shown = f" ({entry.name}: {entry.value})" if entry and entry.value else ""
            message = f"{spec.label}: accepted by the control API{shown}."
            if spec.debug is not None and entry is None:
                message += f" The device already has debug {_on_off(spec.debug)}."
    _finish(
        record, state, message, upstream_status=status, follow=follow, pending_seen=seen,
        answered_change=answered_change,
    )  # fmt: skip
    audit.record_action(
        user=user, action=spec.name, result=result, organization_id=device.organization_id,
        device_id=device.id, device_name=device.name,
        parameters={**clean, **({"resend_of": record.resend_of.key} if record.resend_of else {})},
        upstream_status=status, error_message="" if result == audit.OK else message,
        duration_ms=duration_ms, request_id=record.key,
    )  # fmt: skip


def device_action_resend(
    *, record_id: int, device_id: int, user, idempotency_key: str
) -> tuple[ActionRecord, bool]:
    """Deliberately send an action again whose outcome was unknown (or that failed).

    The device is read first: if the operation is already pending upstream, nothing is
    sent and the new record says so.
    """
    original = ActionRecord.objects.filter(pk=record_id, device_id=device_id).first()
    if original is None:
        raise Http404("No such action.")
    spec = ACTIONS[original.action]
    # Visibility first (404), then a fresh read of pending_settings.
    selectors.device_for_user(user=user, device_id=device_id, detail=False)
    if not original.may_resend:
        raise ActionInputError(
            "Only an action whose outcome is unknown, or that failed without the control API "
            "refusing it, is sent again."
        )
    try:
        device = selectors.fetch_device(device_id)
    except (errors.ControlAPIError, RefreshTimeout) as error:
        raise ActionInputError(
            "Could not check the device before sending again, so nothing was sent: "
            + errors.as_sentence(error)
        ) from error
    entry = _own_entry(spec, device)
    if entry is None:
        return device_action(
            device_id=device_id, user=user, action=original.action,
            idempotency_key=idempotency_key, parameters=_resend_parameters(original, device),
            resend_of=original,
        )  # fmt: skip
    record, replayed = _claim(
        key=idempotency_key, user=user, device=device, spec=spec,
        parameters=original.parameters, resend_of=original,
    )  # fmt: skip
    if replayed:
        return record, True
    shown = f"{entry.name}: {entry.value}" if entry.value else entry.name
    _finish(
        record, ActionRecord.State.ALREADY_PENDING,
        f"Already pending on the device ({shown}): the earlier request did arrive. "
        "Nothing was sent again.",
        follow=ActionRecord.Follow.WAITING, pending_seen=True, answered_change=device.last_change,
    )  # fmt: skip
    audit.record_action(
        user=user, action=spec.name, result=audit.OK, organization_id=device.organization_id,
        device_id=device.id, device_name=device.name,
        parameters={"resend_of": original.key, "sent": False, "already_pending": shown},
        request_id=record.key,
    )  # fmt: skip
    return record, False


def _resend_parameters(original: ActionRecord, device: Device) -> dict:
    params = dict(original.parameters)
    if ACTIONS[original.action].danger:
        params["confirm_name"] = device.name  # confirmed when it was first sent
    return params


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
    elif not record.pending_seen and _pending_entry(device, record.pending_name):
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
    entry = _pending_entry(device, record.pending_name)
    spec = ACTIONS.get(record.action)
    if spec is not None and spec.debug is not None:
        if entry is not None or device.debug is None:
            return waiting
        if device.debug == spec.debug:
            return ActionRecord.Follow.CONFIRMED, ""
        return ActionRecord.Follow.CONTRADICTED, (
            f"{spec.label} did not apply: the device reports debug "
            f"{_on_off(device.debug)} with nothing pending."
        )
    if entry is not None:
        return waiting
    if record.pending_seen or (answered and changed and changed > answered):
        return ActionRecord.Follow.CONFIRMED, ""
    return waiting


# --- create, edit, delete ------------------------------------------------------------


class WriteOutcomeUnknown(Exception):
    """The write was sent but no answer came back: it may have been applied."""


class EditConflict(Exception):
    """The device changed upstream since the form was opened; `current` is the new state."""

    def __init__(self, current: Device):
        super().__init__("The device changed in the control API since you opened the form.")
        self.current = current


class NotAllowed(Exception):
    """The user can see the device but their role does not allow this change."""


def timed_write(*, user, action, device_id, device_name, organization_id, parameters, call):
    """Run one upstream write, audit it (OK, FAILED or UNKNOWN), return its answer.

    Raises the upstream's ControlAPIError (ValidationFailed, Conflict...) after auditing,
    or WriteOutcomeUnknown when it timed out after sending or its accepted answer could
    not be read.
    """
    started = time.monotonic()
    result, status, message, answer = audit.OK, None, "", None
    try:
        with control_api(timeout=action_timeout()) as api:
            answer = call(api)
            status = 204 if answer is None else 200
    except errors.Unavailable as error:
        result = audit.UNKNOWN if error.maybe_sent else audit.FAILED
        message = str(error)
        raised = WriteOutcomeUnknown(message) if error.maybe_sent else error
    except errors.UnreadableAnswer as error:  # accepted: probably applied
        result, status, message = audit.UNKNOWN, error.status, str(error)
        raised = WriteOutcomeUnknown(message)
    except errors.ControlAPIError as error:
        result, status, message, raised = audit.FAILED, error.status, str(error), error
    audit.record_action(
        user=user, action=action, result=result, organization_id=organization_id,
        device_id=device_id or getattr(answer, "id", None),
        device_name=device_name or getattr(answer, "name", ""), parameters=parameters,
        upstream_status=status, error_message=message,
        duration_ms=int((time.monotonic() - started) * 1000),
    )  # fmt: skip
    if result != audit.OK:
        raise raised
    return answer


def device_create(*, user, fields: Mapping[str, Any]) -> Device:
    """POST a new device into an organization where the user may create (404 elsewhere)."""
    org_id = fields.get("organization_id")
    tenancy.ensure_allowed(user, tenancy.DEVICE_CREATE, org_id)
    device = timed_write(
        user=user, action="device_create", device_id=None, device_name=fields.get("name", ""),
        organization_id=org_id, parameters=fields, call=lambda api: api.create_device(fields),
    )  # fmt: skip
    _cache_answer(device)
    return device


def device_update(
    *, user, device_id: int, changes: Mapping[str, Any], opened_last_change: str
) -> Device:
    """PATCH only `changes`, unless the device changed upstream since the form was opened
    (its `last_change` differs from `opened_last_change`): then EditConflict, nothing sent."""
    read = selectors.device_for_user(user=user, device_id=device_id, detail=False)
    if not tenancy.can(user, tenancy.DEVICE_EDIT, read.device.organization_id):
        raise NotAllowed("Your role in this organization does not allow editing devices.")
    current = selectors.fetch_device(device_id)
    tenancy.ensure_allowed(user, tenancy.DEVICE_EDIT, current.organization_id)
    if last_change_token(current) != opened_last_change:
        raise EditConflict(current)
    if "organization_id" in changes:
        tenancy.ensure_allowed(user, tenancy.DEVICE_EDIT, changes["organization_id"])
    if not changes:
        return current
    device = timed_write(
        user=user, action="device_edit", device_id=device_id, device_name=current.name,
        organization_id=current.organization_id, parameters=changes,
        call=lambda api: api.update_device(device_id, changes),
    )  # fmt: skip
    _cache_answer(device)
    return device


def last_change_token(device: Device) -> str:
    """What the edit form carries to detect a change made meanwhile."""
    return device.last_change.isoformat() if device.last_change else ""


def device_delete(*, user, device_id: int) -> None:
    """DELETE the device; a 409 (pending work depends on it) comes back as errors.Conflict."""
    read = selectors.device_for_user(user=user, device_id=device_id, detail=False)
    device = read.device
    if not tenancy.can(user, tenancy.DEVICE_DELETE, device.organization_id):
        raise NotAllowed("Your role in this organization does not allow deleting devices.")
    timed_write(
        user=user, action="device_delete", device_id=device_id, device_name=device.name,
        organization_id=device.organization_id, parameters={},
        call=lambda api: api.delete_device(device_id),
    )  # fmt: skip
    selectors.forget_device(device_id)
