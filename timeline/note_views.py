"""Adding, pinning, unpinning and deleting a device's notes (POST, CSRF, audited in
timeline.note_services). Each answers with the timeline: its part for htmx (the device
page's pinned warnings updated out of band), else the timeline's own page."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts import tenancy
from devices import selectors
from devices.not_found import device_404, render_unavailable
from devices.note_models import Note
from timeline import note_services
from timeline.note_forms import NoteForm
from timeline.views import read_device, render_timeline


def _answer(request, read, *, error: str = "", form=None, status: int = 200):
    if request.htmx:  # htmx swaps 200s only: the part says what went wrong
        return render_timeline(request, read, kinds=[], before=None, form=form, error=error)
    if form is not None and form.errors:
        return render_timeline(request, read, kinds=[], before=None, form=form, status=400)
    if error:
        messages.error(request, error)
    return redirect("timeline:device-timeline", read.device.id)


def _device(request, device_id: int):
    try:
        return read_device(request, device_id), None
    except selectors.DeviceUnavailable as error:
        return None, render_unavailable(request, device_id, error)


@require_POST
@tenancy.scoped_view()
@device_404
def note_add(request, device_id: int):
    read, unavailable = _device(request, device_id)
    if unavailable:
        return unavailable
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _answer(request, read, form=form)
    try:
        data = form.cleaned_data
        note_services.add_note(
            user=request.user, device=read.device, text=data["text"], pin=data["pin"]
        )
    except note_services.NotAllowed as refused:
        return _answer(request, read, error=str(refused), form=form)
    return _answer(request, read)


def _note_change(request, device_id: int, note_id: int, change):
    read, unavailable = _device(request, device_id)
    if unavailable:
        return unavailable
    scope = tenancy.scope_for(request.user, tenancy.VIEW)
    note = Note.objects.filter(pk=note_id, device_id=read.device.id).first()
    if note is None or not scope.allows(note.organization_id):
        raise Http404("No such note.")
    try:
        change(note)
    except note_services.NotAllowed as refused:
        return _answer(request, read, error=str(refused))
    return _answer(request, read)


@require_POST
@tenancy.scoped_view()
@device_404
def note_pin(request, device_id: int, note_id: int):
    def pin(note):
        note_services.set_pinned(user=request.user, note=note, pinned=True)

    return _note_change(request, device_id, note_id, pin)


@require_POST
@tenancy.scoped_view()
@device_404
def note_unpin(request, device_id: int, note_id: int):
    def unpin(note):
        note_services.set_pinned(user=request.user, note=note, pinned=False)

    return _note_change(request, device_id, note_id, unpin)


@require_POST
@tenancy.scoped_view()
@device_404
def note_delete(request, device_id: int, note_id: int):
    def delete(note):
        note_services.delete_note(user=request.user, note=note)

    return _note_change(request, device_id, note_id, delete)
