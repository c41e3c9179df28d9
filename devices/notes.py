"""The device pages' read of notes: the pinned warnings of the devices a page shows, in
one query. Adding, pinning and deleting notes is the timeline app's (timeline.note_services).
"""

from __future__ import annotations

from collections.abc import Iterable

from accounts.tenancy import OrgScope
from devices.note_models import Note


def pinned_warnings(device_ids: Iterable[int], *, scope: OrgScope) -> dict[int, list[Note]]:
    """Device id -> its pinned notes the scope may read, newest pinned first (one query)."""
    ids = {int(i) for i in device_ids}
    if not ids or scope.is_empty:
        return {}
    notes = Note.objects.filter(pinned=True, device_id__in=ids)
    if not scope.all:
        notes = notes.filter(organization_id__in=scope.ids)
    found: dict[int, list[Note]] = {}
    for note in notes.order_by("-pinned_at", "-id"):
        found.setdefault(note.device_id, []).append(note)
    return found


def warning_words(notes: list[Note]) -> str:
    """A list row's marker title: the newest pinned warning, and how many more."""
    if not notes:
        return ""
    more = len(notes) - 1
    text = notes[0].text if len(notes[0].text) <= 200 else notes[0].text[:199] + "…"
    return f"Warning: {text}" + (f" (and {more} more)" if more else "")
