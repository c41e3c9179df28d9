"""How a claim ("I'm on it", devices.models.Claim) ends, and its history.

A claim stays with its device while the device is in trouble: a brief Up (a flap) keeps
it. It ends when a person releases it, once its device has stayed Up for KEPT_UP, or
once its device is no longer in the fleet's snapshot (deleted, upstream or here): after
each fleet poll (`end_claims_up_again`) and on the triage board (`end_claims_off_board`,
for claims of devices it no longer lists: a device Up with pending settings stuck keeps
its claim while the board lists it). Every step is kept as a ClaimEvent, which the
device's timeline shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from controlapi.records import Device
from devices.models import Claim, ClaimEvent
from fleet.read_model import ReadModel
from fleet.store.history import FLAP_WINDOW

# ASSUMPTION: a claim ends once its device has stayed Up for the flapping window (1 hour,
# fleet.store.history): a device Up that long is no longer flapping, so no flap ends one.
KEPT_UP = FLAP_WINDOW

TAKEN = ClaimEvent.Kind.TAKEN
RELEASED = ClaimEvent.Kind.RELEASED
ENDED = ClaimEvent.Kind.ENDED
GONE = ClaimEvent.Kind.GONE


def record(claims: Iterable[Claim], kind: str, *, by: str = "", at: datetime | None = None):
    """Keep one step of each of `claims` for its device's timeline."""
    at = at or timezone.now()
    ClaimEvent.objects.bulk_create(
        ClaimEvent(device_id=c.device_id, organization_id=c.organization_id, at=at, kind=kind,
                   holder=c.user.get_username(), by=by, note=c.note, group_key=c.group_key)
        for c in claims
    )  # fmt: skip


def end(claims, kind: str, *, by: str = "", at: datetime | None = None) -> int:
    """End `claims` (a queryset), keeping how; how many ended (0: ended meanwhile)."""
    with transaction.atomic():
        # Locked: a claim released at the same moment by someone else ends once.
        ending = list(claims.select_for_update(of=("self",)).select_related("user"))
        record(ending, kind, by=by, at=at)
        Claim.objects.filter(pk__in=[c.pk for c in ending]).delete()
    return len(ending)


def end_claims_up_again(model: ReadModel, *, now: datetime) -> int:
    """After a poll: end every claim whose device has stayed Up for KEPT_UP, except those of
    devices with pending settings (maybe stuck: the board, which knows, ends those). Raises
    redis.RedisError and DatabaseError."""
    return _end_up(Claim.objects.all(), model, now=now, with_pending=False)


def end_claims_off_board(claims, model: ReadModel, *, now: datetime) -> int:
    """On the board: end those of `claims` (of devices the board does not list) whose device
    has stayed Up for KEPT_UP. Raises redis.RedisError and DatabaseError."""
    return _end_up(claims, model, now=now, with_pending=True)


def _end_up(claims, model: ReadModel, *, now: datetime, with_pending: bool) -> int:
    held = list(claims)
    # Without a snapshot every device looks absent: nothing is known to have left.
    if not held or model.snapshot_info() is None:
        return 0
    devices = model.get_devices(c.device_id for c in held)
    gone = [c.pk for c in held if c.device_id not in devices]
    over = [
        c.pk
        for c in held
        if (device := devices.get(c.device_id)) is not None
        and up_for_long(device, now=now)
        and (with_pending or not device.pending_settings)
    ]
    ended = 0
    if gone:
        ended += end(Claim.objects.filter(pk__in=gone), GONE, at=now)
    if over:
        ended += end(Claim.objects.filter(pk__in=over), ENDED, at=now)
    return ended


def up_for_long(device: Device, *, now: datetime) -> bool:
    """The device is Up and has been for KEPT_UP (since an unknown moment counts as long
    ago)."""
    came_up = device.status_change
    return device.is_up and (came_up is None or came_up <= now - KEPT_UP)
