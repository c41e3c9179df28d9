"""Headless (scheduled) operations: created by serial, tracked by the transaction ids we keep.

Tenant scoping (documented assumption): a user sees an operation when its device's
organization is one of theirs. A serial is sent for someone with less than all
organizations only when it is exactly (letter case included) the serial of one of their
devices in the fleet cache: the upstream matches serials its own way, so anything else
could reach another organization's device. A serial of an organization the user cannot
see, or in another letter case, is answered as one the inventory lacks. While the fleet
cache cannot say who owns a serial (Redis unreachable, or no poll has filled it yet),
only all-organization staff may schedule, and their operation then has no known
organization (seen by its creator and by all-organization staff only)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import redis
from django.db.models import Q
from django.http import Http404

from accounts import audit, tenancy
from common import moments
from devices import configured, creation_keys, device_writes
from devices.device_writes import NotAllowed
from devices.upstream import control_api
from operations.models import OPERATION_LABELS, HeadlessRecord, HeadlessSubmission

OPERATION_TYPES = list(OPERATION_LABELS.items())


# Said alike for a serial the inventory lacks and one of an organization the user cannot
# see, so that the answer does not tell whether another organization has it.
UNKNOWN_SERIAL = "No device with this serial number in the inventory."


class UnknownSerial(Exception):
    """The serial is not one the user may know of."""


class OwnerUnknown(Exception):
    """The fleet cache cannot say which device has a serial; the message says why."""


class SameOperation(Exception):
    """The user can see `record`, which schedules exactly this already: nothing was sent."""

    def __init__(self, record: HeadlessRecord):
        super().__init__(f"{record.txn_id} schedules this already.")
        self.record = record


CACHE_UNREADABLE = (
    "The fleet cache cannot be read, so the serial's organization cannot be checked: "
    "try again in a minute."
)
CACHE_FILLING = (
    "The fleet cache is still being filled, so the serial's organization cannot be "
    "checked yet: try again in a minute."
)


def device_by_serial(serial: str):
    """The cached device whose serial number is exactly `serial`, or None. Raises
    OwnerUnknown when the cache cannot answer: Redis unreachable, or nothing polled yet."""
    try:
        model = configured.read_model()
        if model.snapshot_info() is None:
            raise OwnerUnknown(CACHE_FILLING)
        device_id = model.find_serials([serial]).get(serial)
        cached = None if device_id is None else model.get_device(device_id)
    except redis.RedisError:
        raise OwnerUnknown(CACHE_UNREADABLE) from None
    return cached.device if cached is not None else None


def headless_visible(user, *, serial: str = ""):
    """The operations `user` may see, newest first; only those of `serial` when one is given."""
    scope = tenancy.scope_for(user, tenancy.VIEW)
    records = HeadlessRecord.objects.all()
    if serial:
        # No serial holds a NUL, and PostgreSQL refuses one in a query.
        records = (
            records.none() if "\x00" in serial else records.filter(device_serial__iexact=serial)
        )
    if scope.all:
        return records
    return records.filter(Q(organization_id__in=scope.ids) | Q(organization_id=None, user=user))


def same_operation(user, *, device_serial, operation_type, scheduled_time, parameters):
    """The newest operation `user` can see that schedules exactly this, or None."""
    alike = headless_visible(user).filter(
        device_serial=device_serial, operation_type=operation_type, scheduled_time=scheduled_time
    )
    return next((r for r in alike if r.parameters == dict(parameters)), None)


def headless_create(
    *,
    user,
    device_serial: str,
    operation_type: str,
    scheduled_time: datetime,
    parameters: Mapping[str, Any],
    key: str,
    again: bool = False,
) -> HeadlessRecord:
    """Schedule an operation by serial and keep its transaction id, at most once per form
    `key` (devices.creation_keys: a key sent before raises what came of it, and sends
    nothing). For anyone with less than all organizations: UnknownSerial unless the serial
    is exactly one of their devices' in the cache, NotAllowed when they see its organization
    but may not schedule there or when the cache cannot say who owns it, SameOperation when
    they can see one that schedules exactly this, unless `again` (nothing is sent then)."""
    if scheduled_time.tzinfo is None or not moments.within(scheduled_time):
        # The form refuses both: nothing is sent that could not then be recorded.
        raise ValueError("scheduled_time must be timezone-aware and within common.moments")
    scope = tenancy.scope_for(user, tenancy.HEADLESS)
    try:
        device = device_by_serial(device_serial)
    except OwnerUnknown as error:
        # Only all-organization staff may go on: the organization does not matter to them.
        if not scope.all:
            raise NotAllowed(str(error)) from None
        device = None
    org_id = device.organization_id if device else None
    if device is None:
        if scope.is_empty:
            raise Http404("You may not schedule operations.")
        if not scope.all:
            raise UnknownSerial(UNKNOWN_SERIAL)
    elif not scope.allows(org_id):
        if tenancy.can(user, tenancy.VIEW, org_id):
            raise NotAllowed(
                "Your role in this device's organization does not allow scheduling operations."
            )
        raise UnknownSerial(UNKNOWN_SERIAL)
    submission = creation_keys.claim(key=key, user=user, model=HeadlessSubmission)
    # Checked after the claim, so that the form sent again (a double click) hears what it
    # scheduled; a form opened again (Back to a page loaded afresh, a second tab) is asked.
    earlier = None if again else same_operation(
        user, device_serial=device_serial, operation_type=operation_type,
        scheduled_time=scheduled_time, parameters=parameters,
    )  # fmt: skip
    if earlier is not None:
        creation_keys.settle(submission, creation_keys.State.FAILED)  # may be sent again
        raise SameOperation(earlier)
    with creation_keys.sending(submission):
        record = _schedule(user, device, org_id, device_serial, operation_type, scheduled_time,
                           parameters)  # fmt: skip
    creation_keys.settle(submission, creation_keys.State.CREATED, record=record)
    return record


def _schedule(user, device, org_id, device_serial, operation_type, scheduled_time, parameters):
    """Send the operation, audit it, and keep its transaction id."""
    sent = device_writes.send(
        lambda api: api.create_headless_operation(
            device_serial=device_serial, operation_type=operation_type,
            scheduled_time=scheduled_time, parameters=dict(parameters),
        ),
        ok_status=201,
    )  # fmt: skip
    answer = sent.answer
    audit.record_action(
        user=user, action="headless_create", result=sent.result, organization_id=org_id,
        device_id=device.id if device else None, device_name=device.name if device else "",
        parameters={"device_serial": device_serial, "operation_type": operation_type,
                    "scheduled_time": scheduled_time.isoformat(), **dict(parameters),
                    **({"txn_id": answer.id} if answer else {})},
        upstream_status=sent.status, error_message=sent.message, duration_ms=sent.duration_ms,
    )  # fmt: skip
    if sent.error is not None:
        raise sent.error
    # The upstream's time when it is one we can store, else the one we sent: the operation
    # exists upstream, so it is recorded whatever the answer says.
    answered = answer.scheduled_time
    return HeadlessRecord.objects.create(
        txn_id=answer.id, user=user, device_serial=device_serial,
        device_id=device.id if device else None, organization_id=org_id,
        operation_type=operation_type,
        scheduled_time=answered if answered and moments.within(answered) else scheduled_time,
        parameters=dict(parameters), status=answer.status or "",
    )  # fmt: skip


def may_refresh(user, record: HeadlessRecord) -> bool:
    """Asking the upstream how an operation stands takes the device's "Refresh now" right in
    its organization (a viewer or a wall screen's account does not act); an operation whose
    organization is unknown, the right somewhere and to have scheduled it."""
    if record.organization_id is not None:
        return tenancy.can(user, tenancy.REFRESH, record.organization_id)
    return record.user_id == user.pk and not tenancy.scope_for(user, tenancy.REFRESH).is_empty


def headless_refresh(*, user, record_id: int) -> HeadlessRecord:
    """Ask the upstream (update_status) how one of our transactions stands."""
    record = headless_visible(user).filter(pk=record_id).first()
    if record is None:
        raise Http404("No such operation.")
    if not may_refresh(user, record):
        raise NotAllowed("Your role does not allow refreshing an operation's status here.")
    with control_api() as api:
        operation = api.get_headless_operation(record.txn_id, update_status=True)
    record.status = operation.status or ""
    if operation.device_status is not None:
        record.device_online = operation.device_status.online
    record.status_checked_at = datetime.now(UTC)
    record.save(update_fields=["status", "device_online", "status_checked_at"])
    return record
