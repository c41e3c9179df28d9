"""The one-time key of a form that creates something upstream (a OneTimeForm row: a new
device, a scheduled operation): claimed before the form is sent to the control API, settled
when it answers, so that the same form sent again shows what it created instead of sending
it a second time."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from controlapi import errors
from devices import form_keys
from devices.creation_models import DeviceCreation, OneTimeForm

# ASSUMPTION: longer than any create's connect and read timeouts together; a claim still
# "sending" after this died with its request, and counts as an unknown outcome.
SENDING_AT_MOST = timedelta(minutes=2)

State = OneTimeForm.State


class StillSending(Exception):
    """The same form is being sent by another request, which has no answer yet."""


class OutcomeUnknown(Exception):
    """The same form was sent before and nobody knows whether it created the device."""


def claim(*, key: str, user, model: type[OneTimeForm] = DeviceCreation) -> OneTimeForm:
    """The claim (a `model` row) to send this form now, or the exception that says why not."""
    form_keys.require(key)
    try:
        with transaction.atomic():
            return model.objects.create(key=key, user=user)
    except IntegrityError:
        creation = form_keys.made_before(model.objects.filter(key=key), user=user, owner="user_id")
        if creation is None:
            raise
    if creation.state == State.CREATED:
        raise form_keys.SentBefore(creation)
    if creation.state == State.FAILED:
        # Refused before (a field the control API did not take): sent again, by one request.
        taken = model.objects.filter(pk=creation.pk, state=State.FAILED).update(
            state=State.SENDING, updated_at=timezone.now()
        )
        if taken:
            creation.state = State.SENDING
            return creation
        raise StillSending
    if creation.state == State.SENDING and timezone.now() - creation.updated_at < SENDING_AT_MOST:
        raise StillSending
    raise OutcomeUnknown


@contextmanager
def sending(creation: OneTimeForm | None):
    """Settle `creation` by how the send inside ends, when it raises: refused by the control
    API, or not sent, it may be sent again (FAILED); anything else may have made it
    (UNKNOWN). The caller settles CREATED with what it made."""
    try:
        yield
    except errors.ControlAPIError:
        settle(creation, State.FAILED)
        raise
    except Exception:
        settle(creation, State.UNKNOWN)
        raise


def settle(creation: OneTimeForm | None, state: str, **created) -> None:
    """Record what became of the form (None: no form, nothing to record); `created`: the
    row's fields naming what it made."""
    if creation is None:
        return
    creation.state, creation.updated_at = state, timezone.now()
    for name, value in created.items():
        setattr(creation, name, value)
    creation.save(update_fields=["state", "updated_at", *created])
