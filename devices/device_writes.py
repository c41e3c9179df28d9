"""Writes of a device's own fields: create, edit, delete. Keyword-only, one call each.

Every write checks the user's organizations itself (`DeviceNotFound` or 404 outside
them), calls the upstream once through `devices.upstream.control_api()` (writes are
never retried), records one audit entry and, when the upstream answered with the
device, puts that answer into the read model. When a write timed out after it was sent,
or was accepted with an answer that could not be read, it raises WriteOutcomeUnknown:
it may have been applied.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from django.conf import settings

from accounts import audit, tenancy
from controlapi import errors
from controlapi.records import Device, has_detail_fields
from devices import configured, creation_keys, field_changes, selectors
from devices.change_models import ChangedRecord
from devices.forms import DeviceForm, device_initial
from devices.upstream import control_api
from maintenance_windows.services import close_record_window

log = logging.getLogger(__name__)


def action_timeout() -> tuple[float, float]:
    """(connect, read) seconds of an interactive write: a person is waiting, so shorter than
    the pollers'. ACTION_READ_TIMEOUT (default 15) may lower the read part."""
    return (3.05, float(settings.ACTION_READ_TIMEOUT))


def _now() -> datetime:
    return datetime.now(UTC)


def cache_answer(device: Device) -> None:
    """Put a write's answer into the read model (the next poll brings it in otherwise)."""
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


class WriteOutcomeUnknown(Exception):
    """The write was sent but no answer came back: it may have been applied."""


class EditConflict(Exception):
    """The device changed upstream since the form was opened; `current` is the new state."""

    def __init__(self, current: Device):
        super().__init__("The device changed in the control API since you opened the form.")
        self.current = current


class NotAllowed(Exception):
    """The user can see the device but their role does not allow this change."""


@dataclass(frozen=True)
class Sent:
    """What one upstream write came to, for its audit entry."""

    answer: Any  # None unless the upstream answered and its answer was read
    result: str  # audit.OK, audit.FAILED or audit.UNKNOWN
    status: int | None
    message: str
    error: Exception | None  # to raise once audited: the upstream's, or WriteOutcomeUnknown
    duration_ms: int


def send(call: Callable[[Any], Any], *, ok_status: int | None = None) -> Sent:
    """Run `call(api)`, one upstream write with an interactive timeout, and say how it
    ended: a write that may have been applied (sent, then no answer; or accepted with an
    answer that could not be read) is UNKNOWN, never FAILED."""
    started = time.monotonic()
    answer, result, status, message, error = None, audit.OK, None, "", None
    try:
        with control_api(timeout=action_timeout()) as api:
            answer = call(api)
        status = ok_status or (204 if answer is None else 200)
    except errors.Unavailable as failure:
        result = audit.UNKNOWN if failure.maybe_sent else audit.FAILED
        message = str(failure)
        error = WriteOutcomeUnknown(message) if failure.maybe_sent else failure
    except errors.UnreadableAnswer as failure:  # accepted: probably applied
        result, status, message = audit.UNKNOWN, failure.status, str(failure)
        error = WriteOutcomeUnknown(message)
    except errors.ControlAPIError as failure:
        result, status, message, error = audit.FAILED, failure.status, str(failure), failure
    duration_ms = int((time.monotonic() - started) * 1000)
    return Sent(answer, result, status, message, error, duration_ms)


def timed_write(
    *, user, action, device_id, device_name, organization_id, parameters, call, audited=None
):
    """Run one upstream write, audit it (OK, FAILED or UNKNOWN), return its answer;
    `audited(entry, answer)`, when given, is called with the audit entry before any raise.

    Raises the upstream's ControlAPIError (ValidationFailed, Conflict...) after auditing,
    or WriteOutcomeUnknown when it timed out after sending or its accepted answer could
    not be read.
    """
    sent = send(call)
    answer = sent.answer
    entry = audit.record_action(
        user=user, action=action, result=sent.result, organization_id=organization_id,
        device_id=device_id or getattr(answer, "id", None),
        device_name=device_name or getattr(answer, "name", ""), parameters=parameters,
        upstream_status=sent.status, error_message=sent.message, duration_ms=sent.duration_ms,
    )  # fmt: skip
    if audited is not None:
        audited(entry, answer)
    if sent.error is not None:
        raise sent.error
    return answer


def device_create(*, user, fields: Mapping[str, Any], key: str | None) -> Device:
    """POST a new device into an organization where the user may create (404 elsewhere),
    at most once per form `key` (devices.creation_keys: a key sent before raises what came
    of it, and sends nothing). `key` None: the caller keeps a once-only record of its own
    (an import's rows)."""
    org_id = fields.get("organization_id")
    tenancy.ensure_allowed(user, tenancy.DEVICE_CREATE, org_id)
    creation = None if key is None else creation_keys.claim(key=key, user=user)
    with creation_keys.sending(creation):
        device = timed_write(
            user=user, action="device_create", device_id=None, device_name=fields.get("name", ""),
            organization_id=org_id, parameters=fields, call=lambda api: api.create_device(fields),
        )  # fmt: skip
    creation_keys.settle(creation, creation_keys.State.CREATED, device_id=device.id)
    cache_answer(device)
    return device


def device_update(
    *, user, device_id: int, changes: Mapping[str, Any], opened: Mapping[str, Any]
) -> Device:
    """PATCH only `changes`, unless a field of the form changed upstream since the form was
    opened with the values `opened`: then EditConflict, nothing sent. An action meanwhile
    (pending settings, status: the device's `last_change`) is no conflict.
    Changes the device holds already (the form sent twice, or the same change made by
    someone else) send nothing and are no conflict."""
    read = selectors.device_for_user(user=user, device_id=device_id, detail=False)
    if not tenancy.can(user, tenancy.DEVICE_EDIT, read.device.organization_id):
        raise NotAllowed("Your role in this organization does not allow editing devices.")
    current = selectors.fetch_device(device_id)
    tenancy.ensure_allowed(user, tenancy.DEVICE_EDIT, current.organization_id)
    # Before and after are known only now (the upstream keeps no history): kept with the
    # audit entry for the device's timeline, credentials without their values (a credential
    # always counts as changed).
    before = {name: getattr(current, name, None) for name in changes}
    changed = field_changes.diff(before, changes, labels=edit_labels())
    if not changed:
        return current
    if changed_meanwhile(opened, current):
        raise EditConflict(current)
    if "organization_id" in changes:
        tenancy.ensure_allowed(user, tenancy.DEVICE_EDIT, changes["organization_id"])

    def keep(entry, answer):
        field_changes.keep(
            entry=entry, device_id=device_id, changes=changed,
            organization_id=current.organization_id, record=ChangedRecord.DEVICE,
        )  # fmt: skip

    device = timed_write(
        user=user, action="device_edit", device_id=device_id, device_name=current.name,
        organization_id=current.organization_id, parameters=changes,
        call=lambda api: api.update_device(device_id, changes), audited=keep,
    )  # fmt: skip
    cache_answer(device)
    return device


def edit_labels() -> dict[str, str]:
    """The edit form's label of each field, as the timeline names them."""
    return {name: str(field.label) for name, field in DeviceForm.base_fields.items() if field.label}


def changed_meanwhile(opened: Mapping[str, Any], current: Device) -> bool:
    """Whether any of the form's fields holds another value now than the form was opened
    with, compared as the form compares what a person changed."""
    now = device_initial(current)
    return any(
        DeviceForm.base_fields[name].has_changed(value, now.get(name))
        for name, value in opened.items()
        if name in DeviceForm.base_fields
    )


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
    # Its maintenance record can no longer be saved to end its record window.
    close_record_window(device_id=device_id, now=datetime.now(UTC), user=user)
