"""The one-time key of a "new device" form (DeviceCreation): claimed before the device is
sent to the control API, settled when it answers, so that the same form sent again shows
the device it created instead of sending it a second time."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from devices import form_keys
from devices.creation_models import DeviceCreation

# ASSUMPTION: longer than any create's connect and read timeouts together; a claim still
# "sending" after this died with its request, and counts as an unknown outcome.
SENDING_AT_MOST = timedelta(minutes=2)

State = DeviceCreation.State


class BadKey(Exception):
    """The form carried no key of this user's (a page from before keys, or a forged one)."""


class AlreadyCreated(Exception):
    def __init__(self, device_id: int):
        super().__init__(f"This form created device {device_id} already.")
        self.device_id = device_id


class StillSending(Exception):
    """The same form is being sent by another request, which has no answer yet."""


class OutcomeUnknown(Exception):
    """The same form was sent before and nobody knows whether it created the device."""


def claim(*, key: str, user) -> DeviceCreation:
    """The claim to send this form now, or the exception that says why not."""
    if not form_keys.well_formed(key):
        raise BadKey
    try:
        with transaction.atomic():
            return DeviceCreation.objects.create(key=key, user=user)
    except IntegrityError:
        pass
    creation = DeviceCreation.objects.get(key=key)
    if creation.user_id != user.pk:
        raise BadKey
    if creation.state == State.CREATED:
        raise AlreadyCreated(creation.device_id)
    if creation.state == State.FAILED:
        # Refused before (a field the control API did not take): sent again, by one request.
        taken = DeviceCreation.objects.filter(pk=creation.pk, state=State.FAILED).update(
            state=State.SENDING, updated_at=timezone.now()
        )
        if taken:
            creation.state = State.SENDING
            return creation
        raise StillSending
    if creation.state == State.SENDING and timezone.now() - creation.updated_at < SENDING_AT_MOST:
        raise StillSending
    raise OutcomeUnknown


def settle(creation: DeviceCreation, state: str, device_id: int | None = None) -> None:
    creation.state, creation.device_id, creation.updated_at = state, device_id, timezone.now()
    creation.save(update_fields=["state", "device_id", "updated_at"])
