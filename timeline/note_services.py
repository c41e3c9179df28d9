"""Adding, pinning and deleting a device's notes: who may, and the audit entry of each.

Anyone who may see the device with the `note` action may add one (not the display role of
a wall screen); its author or an admin of its organization may pin, unpin or delete it.
The audit keeps a note's id and length, never its text: people may paste anything into
a note, and the trail is exported.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accounts import audit, tenancy
from accounts.models import Role
from controlapi.records import Device
from devices.note_models import Note


class NotAllowed(Exception):
    """The user may see the device but not do this to its notes (said in words)."""


NO_NOTES = "Your role in this organization does not allow adding notes."
NOT_YOURS = "Only the note's author or an admin of its organization may change or delete it."

# ASSUMPTION: the same text by the same person on the same device within this time is the
# note's form sent again (a double click without JavaScript, Back and send), not a new note.
SENT_AGAIN_WITHIN = timedelta(minutes=10)


def may_add(user, device: Device) -> bool:
    return tenancy.can(user, tenancy.NOTE, device.organization_id)


def may_manage(user, note: Note) -> bool:
    """The note's author, or an admin of its organization (NOC admins included)."""
    if not tenancy.can(user, tenancy.NOTE, note.organization_id):
        return False
    if note.author_id is not None and note.author_id == user.pk:
        return True
    org = note.organization_id
    role = tenancy.noc_role(user) if org is None else tenancy.role_for(user, org)
    return role == Role.ADMIN


def _audit(user, action: str, note: Note, device_name: str = "") -> None:
    audit.record_action(
        user=user, action=action, result=audit.OK, organization_id=note.organization_id,
        device_id=note.device_id, device_name=device_name,
        parameters={"note": note.pk, "length": len(note.text)},
    )  # fmt: skip


def add_note(*, user, device: Device, text: str, pin: bool = False) -> Note:
    """The new note, audited; or the one this person added with this text within
    SENT_AGAIN_WITHIN, pinned if asked, and nothing added."""
    if not may_add(user, device):
        raise NotAllowed(NO_NOTES)
    now = datetime.now(UTC)
    sent_before = Note.objects.filter(
        device_id=device.id, author=user, text=text, created_at__gte=now - SENT_AGAIN_WITHIN
    ).first()
    if sent_before is not None:
        return set_pinned(user=user, note=sent_before, pinned=True) if pin else sent_before
    note = Note.objects.create(
        device_id=device.id, organization_id=device.organization_id, author=user,
        author_name=user.get_username(), text=text, pinned=pin, pinned_at=now if pin else None,
        created_at=now,
    )  # fmt: skip
    _audit(user, "note_add", note, device.name)
    if pin:
        _audit(user, "note_pin", note, device.name)
    return note


def set_pinned(*, user, note: Note, pinned: bool) -> Note:
    if not may_manage(user, note):
        raise NotAllowed(NOT_YOURS)
    if note.pinned != pinned:
        note.pinned, note.pinned_at = pinned, datetime.now(UTC) if pinned else None
        note.save(update_fields=["pinned", "pinned_at"])
        _audit(user, "note_pin" if pinned else "note_unpin", note)
    return note


def delete_note(*, user, note: Note) -> None:
    if not may_manage(user, note):
        raise NotAllowed(NOT_YOURS)
    _audit(user, "note_delete", note)
    note.delete()
