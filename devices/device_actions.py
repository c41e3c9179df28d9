"""Device actions (reboot, sync, firmware, factory reset...): sent at most once per key.

Outcome unknown: when an action timed out after it was sent (`Unavailable` with
`maybe_sent`), or was accepted with an answer that could not be read
(`UnreadableAnswer`), it is recorded as UNKNOWN, never as failed or done, and nothing
sends it again by itself. A deliberate "send again" first re-reads the device's
`pending_settings` (`device_action_resend`). What confirms an action afterwards is
action_follow's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from django.db import DatabaseError, IntegrityError, transaction
from django.http import Http404

from accounts import audit, tenancy
from common import integers
from controlapi import errors
from controlapi.records import Device
from devices import configured, confirmation, form_keys, history_store, pending_words, selectors
from devices.device_writes import action_timeout, cache_answer
from devices.models import ActionRecord
from devices.upstream import control_api
from fleet.polling import RefreshTimeout
from fleet.store.history import Transition

log = logging.getLogger(__name__)


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
    # The question asked before an action that takes the device offline ({name}: its name).
    asks: str = ""


ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        ActionSpec("reboot", "Reboot", tenancy.REBOOT, "reboot_scheduled",
                   lambda api, i, p: api.reboot(i),
                   asks="Reboot {name}? It is offline while it restarts."),
        ActionSpec("sync", "Sync configuration", tenancy.SYNC, "sync",
                   lambda api, i, p: api.sync(i)),
        ActionSpec("reconf", "Re-apply configuration", tenancy.RECONF, "reconf",
                   lambda api, i, p: api.reconfigure(i)),
        ActionSpec("debug-on", "Debug on", tenancy.DEBUG, "debug",
                   lambda api, i, p: api.set_debug(i, True), debug=True),
        ActionSpec("debug-off", "Debug off", tenancy.DEBUG, "debug",
                   lambda api, i, p: api.set_debug(i, False), debug=False),
        ActionSpec("firmware", "Firmware update", tenancy.FIRMWARE, "firmware_update",
                   lambda api, i, p: api.schedule_firmware(i, p["firmware_image"]),
                   asks="Update the firmware of {name}? It is offline while it installs and "
                        "restarts."),
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


def pending_entry(device: Device, name: str):
    return next((p for p in device.pending_settings if p.name == name), None)


def on_off(flag: bool) -> str:
    return "on" if flag else "off"


def _own_entry(spec: ActionSpec, device: Device):
    """The pending entry that tracks this very action: for debug, only one for the same value
    (a pending "debug:on" says nothing about a Debug off)."""
    entry = pending_entry(device, spec.pending)
    if (
        entry is not None
        and spec.debug is not None
        and entry.value not in (None, on_off(spec.debug))
    ):
        return None
    return entry


def _contradiction(spec: ActionSpec, device: Device) -> str:
    """Why the upstream's answer to a debug action shows it will not apply, in words; "" when
    it does not say so. The upstream compares the request with the flag the device has
    applied, so a Debug off sent while "debug:on" is still pending queues nothing."""
    if spec.debug is None:
        return ""
    wanted = on_off(spec.debug)
    entry = pending_entry(device, spec.pending)
    if entry is not None and entry.value and entry.value != wanted:
        return (
            f"debug {entry.value} is still pending on the device, "
            f"so debug {wanted} was not queued and debug will be {entry.value}. "
            f"Send {spec.label} again once that change has applied"
        )
    if entry is None and device.debug is not None and device.debug != spec.debug:
        return (
            f"the device reports debug {on_off(device.debug)} with nothing pending, "
            f"so debug {wanted} was not queued"
        )
    return ""


def check_action_input(spec: ActionSpec, device: Device, parameters: Mapping[str, Any]) -> dict:
    """The parameters the action sends, or ActionInputError in words."""
    clean: dict[str, Any] = {}
    if spec.name == "firmware":
        clean["firmware_image"] = firmware_image(parameters.get("firmware_image", ""))
    typed = str(parameters.get("confirm_name", ""))
    if spec.danger and not confirmation.confirmed(device, typed):
        raise ActionInputError(f"{confirmation.asked(device)} to confirm {spec.label.lower()}.")
    return clean


def firmware_image(raw) -> int:
    """The image id typed, or ActionInputError saying what is wrong with it: not a whole
    number, below 1, or larger than any image id (common.integers.ID_MAX)."""
    text = str(raw).strip()
    if not integers.is_whole(text):
        raise ActionInputError("Type the firmware image id: a whole number, e.g. 47.")
    image = integers.int_or_none(text, minimum=1, maximum=integers.ID_MAX)
    if image is not None:
        return image
    if text.startswith("-") or not text.strip("0"):
        raise ActionInputError("Type the firmware image id: image ids start at 1, e.g. 47.")
    raise ActionInputError(
        f"That firmware image id is too large: image ids go up to {integers.ID_MAX:,}. "
        "Check the id and type it again."
    )


def _claim(*, key: str, user, device: Device, spec: ActionSpec, parameters, resend_of=None):
    """Create the record for this key, or return the one already there (replayed=True)."""
    if not form_keys.well_formed(key):
        raise ActionInputError("This form has expired: reload the page and try again.")
    try:
        with transaction.atomic():
            if resend_of is not None:
                # Locked, so that two presses of "send again" on one entry (two tabs, two
                # people) send once: the second finds the first one's record.
                ActionRecord.objects.select_for_update().filter(pk=resend_of.pk).first()
                earlier = resend_of_entry(resend_of)
                if earlier is not None and earlier.key != key:
                    return earlier, True
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


def resend_of_entry(original: ActionRecord) -> ActionRecord | None:
    """The one time this entry was sent again (checked upstream, or sent), if it was."""
    return resends_of([original]).get(original.pk)


def resends_of(records) -> dict[int, ActionRecord]:
    """`resend_of_entry` of each of `records`, by the record's id, in one query: the first
    "send again" of each that was not refused by role (that one sent nothing)."""
    found: dict[int, ActionRecord] = {}
    resends = (
        ActionRecord.objects.filter(resend_of__in=[r.pk for r in records])
        .exclude(state=ActionRecord.State.REFUSED)
        .select_related("user")
        .order_by("created_at", "id")
    )
    for resend in resends:
        found.setdefault(resend.resend_of_id, resend)
    return found


def resend_in_words(resend: ActionRecord) -> tuple[str, str]:
    """What became of an entry's "send again", as (verb, what followed): "Sent again";
    "Checked again", already pending so nothing sent; "Tried again", nothing sent."""
    if resend.state == ActionRecord.State.ALREADY_PENDING:
        return "Checked again", "it was already pending, so nothing was sent"
    if resend.state == ActionRecord.State.FAILED and resend.upstream_status is None:
        return "Tried again", "nothing was sent"
    return "Sent again", ""


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

    Http404: unknown action. selectors.DeviceNotFound: a device the user cannot see, in the
    cache or in the control API's current record (read before anything is sent).
    ActionInputError: bad input, nothing sent. A role that may see but not act gets a
    REFUSED record; an upstream that cannot be read, a FAILED one.
    """
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action.")
    device = selectors.device_for_user(user=user, device_id=device_id, detail=False).device
    clean = check_action_input(spec, device, parameters or {})
    try:
        # The organization as the upstream has it now: a moved device is unknown here (404).
        device = selectors.confirm_device(user=user, device_id=device_id)
    except (errors.ControlAPIError, RefreshTimeout) as error:
        return _unconfirmed(error, key=idempotency_key, user=user, device=device, spec=spec,
                            clean=clean, resend_of=resend_of)  # fmt: skip
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


def _unconfirmed(error, *, key, user, device: Device, spec: ActionSpec, clean, resend_of):
    """A FAILED record (audited under the cached organization, one of the user's) when the
    device's organization could not be confirmed upstream: nothing is sent."""
    record, replayed = _claim(key=key, user=user, device=device, spec=spec, parameters=clean,
                              resend_of=resend_of)  # fmt: skip
    if replayed:
        return record, True
    _finish(
        record,
        ActionRecord.State.FAILED,
        "Could not check the device with the control API, so nothing was sent: "
        + errors.as_sentence(error),
    )
    audit.record_action(
        user=user, action=spec.name, result=audit.FAILED, organization_id=device.organization_id,
        device_id=device.id, device_name=device.name, parameters=clean,
        error_message=record.message, request_id=record.key,
    )  # fmt: skip
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
        cache_answer(answer)
        _keep_status_change(device, answer)
        state, follow = ActionRecord.State.SENT, ActionRecord.Follow.WAITING
        answered_change = answer.last_change
        entry = _own_entry(spec, answer)
        contradiction = _contradiction(spec, answer)
        if contradiction:
            follow = ActionRecord.Follow.CONTRADICTED
            message = f"{spec.label}: the control API answered, but not as asked: {contradiction}."
        else:
            seen = entry is not None
            shown = f" ({pending_words.in_words(entry)})" if entry else ""
            message = f"{spec.label}: accepted by the control API{shown}."
            if spec.debug is not None and entry is None:
                message += f" The device already has debug {on_off(spec.debug)}."
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


def _keep_status_change(before: Device, answer: Device) -> None:
    """The status change an action's answer shows (a reboot takes the device Down at once)
    is history, as a refresh's is: the answer goes into the cache, so the polls that follow
    compare with it and never report that change themselves. Missing, the timeline showed
    the device come back Up without ever going Down."""
    if before.status == answer.status:
        return
    now = _now()
    change = Transition(
        answer.id, answer.organization_id, before.status, answer.status,
        answer.status_change or now,
    )  # fmt: skip
    try:
        configured.read_model().record_transitions([change], now=now)
    except redis.RedisError as error:  # the durable copy below still has it
        log.warning("status change of device %s not kept in Redis: %s", answer.id, error)
    try:
        history_store.record_refresh([change], at=now)
    except DatabaseError as error:
        log.warning("status change of device %s not kept in the database: %s", answer.id, error)


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
    # Visibility first (404), then the role, then a fresh read of pending_settings.
    cached = selectors.device_for_user(user=user, device_id=device_id, detail=False).device
    if not tenancy.can(user, spec.permission, cached.organization_id):
        # device_action records and audits the refusal; nothing is sent.
        return device_action(
            device_id=device_id, user=user, action=original.action,
            idempotency_key=idempotency_key, parameters=_resend_parameters(original, cached),
            resend_of=original,
        )  # fmt: skip
    if not original.may_resend:
        raise ActionInputError(
            "Only an action whose outcome is unknown, or that failed without the control API "
            "refusing it, is sent again."
        )
    earlier = resend_of_entry(original)
    if earlier is not None and earlier.key != idempotency_key:
        return earlier, True  # sent again once already: the page shows what came of it
    try:
        device = selectors.confirm_device(user=user, device_id=device_id)
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
    shown = pending_words.in_words(entry)
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
        params["confirm_name"] = confirmation.word(device)  # confirmed when it was first sent
    return params
