"""The device timeline: the part the device page loads (htmx), and the same on a page of
its own (its address without JavaScript, and where a note form's error returns)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from django.db import DatabaseError
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts import tenancy
from common import moments
from devices import history_store, notes, selectors
from devices.not_found import device_404, render_unavailable
from timeline import merge, note_services
from timeline.entries import KINDS
from timeline.note_forms import NoteForm

PART = "timeline/timeline.html#timeline-part"
CACHE_DOWN = (
    "The fleet cache (Redis) is unreachable: the device's current status was read from the "
    "control API; everything below is the dashboard's database, which keeps it all."
)


def parse_kinds(values: list[str]) -> list[str]:
    """The filter's kinds, as offered (unknown ones dropped); empty: every kind."""
    return [kind for kind in KINDS if kind in values]


def parse_before(text: str) -> datetime | None:
    """The older page's cursor (ISO-8601); anything unreadable, or outside the years any
    entry can have (common.moments), the newest page."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    if not moments.within(moment):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def read_device(request, device_id: int):
    """The device if the user may see it (DeviceNotFound otherwise, which `device_404` answers
    as for any device page); DeviceUnavailable when neither the cache nor the control API can
    say."""
    return selectors.device_for_user(user=request.user, device_id=device_id, detail=False)


def _url(device_id: int, **params) -> str:
    base = reverse("timeline:device-timeline", args=[device_id])
    query = urlencode({k: v for k, v in params.items() if v}, doseq=True)
    return f"{base}?{query}" if query else base


def timeline_context(request, read, *, kinds, before, form=None, error: str = "") -> dict:
    device = read.device
    scope = tenancy.scope_for(request.user, tenancy.VIEW)
    found = merge.device_timeline(device=device, user=request.user, scope=scope, kinds=kinds,
                                  before=before, now=datetime.now(UTC))  # fmt: skip
    missing = ([CACHE_DOWN] if read.degraded else []) + found.missing
    for entry in found.entries:
        if entry.note is not None:
            entry.note.may_manage = note_services.may_manage(request.user, entry.note)
    kind = kinds[0] if len(kinds) == 1 else ""
    return {
        "device": device,
        "timeline": found,
        "missing": missing,
        "kinds": [
            (name, words, name in kinds, _url(device.id, kind=name))
            for name, words in KINDS.items()
        ],  # fmt: skip
        "all_url": _url(device.id),
        "filtered": bool(kinds),
        "older_url": _url(device.id, kind=kinds, before=found.older.isoformat())
        if found.older
        else "",
        "newest_url": _url(device.id, kind=kinds) if before else "",
        "self_url": _url(device.id, kind=kinds, before=before.isoformat() if before else ""),
        "kind": kind,
        "can_note": note_services.may_add(request.user, device),
        "form": form or NoteForm(),
        "note_error": error,
        "pinned": notes.pinned_warnings([device.id], scope=scope).get(device.id, []),
        "pinned_oob": bool(request.htmx),
        "history_since": _history_since(),
        "nav": "devices",
        "title": f"Timeline of {device.name or f'device {device.id}'}",
    }


def _history_since():
    """When the durable status history starts (None: empty, or the database cannot say)."""
    try:
        return history_store.kept_since()
    except DatabaseError:
        return None


def render_timeline(request, read, *, status: int = 200, **values):
    template = PART if request.htmx else "timeline/timeline.html"
    return render(request, template, timeline_context(request, read, **values), status=status)


@require_GET
@vary_on_headers("HX-Request")
@tenancy.scoped_view()
@device_404
def device_timeline(request, device_id: int):
    try:
        read = read_device(request, device_id)
    except selectors.DeviceUnavailable as error:
        if request.htmx:  # htmx swaps no error answer: the part says what went wrong
            context = {"device_id": device_id, "error": str(error)}
            return render(request, "timeline/timeline.html#timeline-unavailable", context)
        return render_unavailable(request, device_id, error)
    kinds = parse_kinds(request.GET.getlist("kind"))
    before = parse_before(request.GET.get("before", ""))
    return render_timeline(request, read, kinds=kinds, before=before)
