"""Create, edit and delete a device. Upstream 400s land on their fields; nothing typed is
lost; an edit never overwrites a change made upstream since the form was opened.

The edit page answers at once and loads its form in a part of its own (htmx, or the
part's own address without JavaScript): the form needs the device's current record, so
that it is filled with every stored value and a save never clears one.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts import tenancy
from common.device_names import shown_name
from controlapi import errors
from devices import confirmation, creation_keys, device_writes, form_keys, selectors
from devices.forms import (
    DEVICE_FIELDS,
    DeleteForm,
    DeviceForm,
    device_initial,
    organization_choices,
)
from devices.not_found import device_404
from fleet import polling

UNKNOWN_CREATE = (
    "The control API sent no answer that could be read after the device was sent: it may "
    "have been created. Search for its serial number before trying again."
)
ALREADY_CREATED = "This form was sent already: it created device {id}, shown here."
STILL_SENDING = (
    "This form is being sent already and the control API has not answered it yet. Wait a "
    "few seconds, then send it again: you will see the new device, or what the control API "
    "answered."
)
BAD_KEY = (
    "This form was not sent: its page is too old to tell whether it was sent before. Check "
    "the values and send it again."
)


@tenancy.scoped_view()
def device_create(request):
    scope = tenancy.scope_for(request.user, tenancy.DEVICE_CREATE)
    if scope.is_empty:
        raise Http404("No organization where you may create devices.")
    orgs = organization_choices(scope)
    form = DeviceForm(request.POST or None, organizations=orgs, creating=True)
    # The form's one-time key: kept while the same form may still be sent, new once what
    # became of it is told.
    posted_key = request.POST.get("create_key", "")
    key = posted_key if form_keys.well_formed(posted_key) else form_keys.new_key()
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        fields = form.payload(only_changed=False)
        try:
            device = device_writes.device_create(user=request.user, fields=fields, key=posted_key)
        except form_keys.SentBefore as done:
            messages.info(request, ALREADY_CREATED.format(id=done.row.device_id))
            return redirect("devices:detail", done.row.device_id)
        except creation_keys.StillSending:
            form.add_error(None, STILL_SENDING)
            status = 409
        except form_keys.BadKey:
            form.add_error(None, BAD_KEY)
            key = form_keys.new_key()
        except (device_writes.WriteOutcomeUnknown, creation_keys.OutcomeUnknown):
            form.add_error(None, UNKNOWN_CREATE)
            key = form_keys.new_key()  # sending again is the user's choice, once they looked
        except errors.ValidationFailed as error:
            form.add_upstream_errors(error.field_errors)
        except errors.ControlAPIError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Device {shown_name(device.name)} created (id {device.id}).")
            return redirect("devices:detail", device.id)
    if request.method == "POST":
        form.ask_password_again()
    context = {"form": form, "creating": True, "create_key": key, "nav": "devices",
               "title": "New device"}  # fmt: skip
    return render(request, "devices/edit.html", context, status=status)


def _refused_edit(request, device_id: int):
    """A redirect to the device page when the user may not edit it; None when they may.
    DeviceNotFound for a device outside the user's scope (checked on the cached copy)."""
    read = selectors.device_for_user(user=request.user, device_id=device_id, detail=False)
    if tenancy.can(request.user, tenancy.DEVICE_EDIT, read.device.organization_id):
        return None
    messages.error(request, "Your role in this organization does not allow editing devices.")
    return redirect("devices:detail", device_id)


def _edit_context(device_id: int, **values) -> dict:
    return {"creating": False, "device_id": device_id, "nav": "devices",
            "title": f"Edit device {device_id}", **values}  # fmt: skip


@tenancy.scoped_view()
@device_404
def device_edit(request, device_id: int):
    refused = _refused_edit(request, device_id)
    if refused:
        return refused
    if request.method != "POST":
        # No form yet: the page loads it (device_edit_form) without waiting here.
        return render(request, "devices/edit.html", _edit_context(device_id))
    orgs = organization_choices(tenancy.scope_for(request.user, tenancy.DEVICE_EDIT))
    conflict = None
    initial = _initial_from_post(request.POST)
    form = DeviceForm(request.POST, initial=initial, organizations=orgs, creating=False)
    if form.is_valid():
        try:
            device_writes.device_update(
                user=request.user, device_id=device_id,
                changes=form.payload(only_changed=True), opened=initial,
            )  # fmt: skip
        except device_writes.EditConflict as error:
            conflict = _comparison(form, error.current)
            # Sent again, the form is compared with the values it was just shown.
            form.initial = device_initial(error.current)
        except errors.ValidationFailed as error:
            form.add_upstream_errors(error.field_errors)
        except device_writes.WriteOutcomeUnknown as error:
            said = errors.as_sentence(error)
            form.add_error(None, f"{said} Reload the device to see whether it changed.")
        except (errors.ControlAPIError, polling.RefreshTimeout) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Device saved.")
            return redirect("devices:detail", device_id)
    form.ask_password_again()
    context = _edit_context(device_id, form=form, original=_original_fields(form),
                            conflict=conflict)  # fmt: skip
    return render(request, "devices/edit.html", context, status=409 if conflict else 400)


@require_GET
@vary_on_headers("HX-Request")
@tenancy.scoped_view()
@device_404
def device_edit_form(request, device_id: int):
    """The edit form, filled from the device's current record: the edit page's part
    (htmx), or the whole page. Without the record it offers no form, only a retry."""
    refused = _refused_edit(request, device_id)
    if refused:
        return refused
    template = "devices/edit.html#device-form" if request.htmx else "devices/edit.html"
    try:
        current = selectors.fetch_device(device_id)
    except (errors.ControlAPIError, polling.RefreshTimeout) as error:
        # htmx swaps no error answer: the part says what went wrong, with a 200.
        status = 200 if request.htmx else 503
        context = _edit_context(device_id, load_error=str(error))
        return render(request, template, context, status=status)
    tenancy.ensure_allowed(request.user, tenancy.DEVICE_EDIT, current.organization_id)
    orgs = organization_choices(tenancy.scope_for(request.user, tenancy.DEVICE_EDIT))
    form = DeviceForm(initial=device_initial(current), organizations=orgs, creating=False)
    context = _edit_context(device_id, form=form, original=_original_fields(form))
    return render(request, template, context)


def _original_fields(form) -> dict:
    """The values the form was opened with, carried in hidden fields so that only the fields
    the person changed are sent."""
    return {f"orig_{n}": form.initial.get(n, "") for n in DEVICE_FIELDS if n != "password"}


def _initial_from_post(post) -> dict:
    initial = {}
    for name in DEVICE_FIELDS:
        if name == "password":
            continue
        try:
            initial[name] = DeviceForm.base_fields[name].to_python(post.get(f"orig_{name}", ""))
        except ValidationError:
            initial[name] = None  # a tampered original only makes the field count as changed
    return initial


def _shown(value) -> str:
    return "" if value is None else str(value)


def _comparison(form, current) -> list[dict]:
    """Field, what you typed, what the control API has now: for the changed ones."""
    rows = []
    for name in DEVICE_FIELDS:
        if name == "password":
            continue
        theirs = _shown(getattr(current, name, None))
        mine = _shown(form.cleaned_data.get(name))
        label = form.fields[name].label or name.replace("_", " ").capitalize()
        rows.append({"label": label, "mine": mine, "theirs": theirs, "differs": mine != theirs})
    return rows


@tenancy.scoped_view()
@device_404
def device_delete(request, device_id: int):
    read = selectors.device_for_user(user=request.user, device_id=device_id, detail=False)
    device = read.device
    if not tenancy.can(request.user, tenancy.DEVICE_DELETE, device.organization_id):
        messages.error(request, "Your role in this organization does not allow deleting devices.")
        return redirect("devices:detail", device_id)
    form = DeleteForm(request.POST or None)
    error_text = ""
    if request.method == "POST" and form.is_valid():
        if not confirmation.confirmed(device, form.cleaned_data["confirm_name"]):
            form.add_error("confirm_name", f"{confirmation.asked(device)}.")
        else:
            try:
                device_writes.device_delete(user=request.user, device_id=device_id)
            except errors.Conflict as error:
                error_text = (
                    "The control API refused to delete this device because work still depends "
                    f"on it (pending operations or a scheduled operation): {error.message} "
                    "Wait until the pending work is done, then try again."
                )
            except device_writes.WriteOutcomeUnknown as error:
                said = errors.as_sentence(error)
                error_text = f"{said} Open the device to see whether it still exists."
            except errors.ControlAPIError as error:
                error_text = str(error)
            else:
                messages.success(request, f"Device {shown_name(device.name)} deleted.")
                return redirect("/devices/")
    if form.errors.get("confirm_name"):
        # The page answers at the top: focus brings the refused name and its error into view.
        form.fields["confirm_name"].widget.attrs.update(
            {"autofocus": True, "aria-invalid": "true", "aria-describedby": "confirm-name-error"}
        )
    status = 200 if request.method == "GET" else (409 if error_text else 400)
    context = {"form": form, "device": device, "error_text": error_text, "nav": "devices",
               "title": f"Delete {shown_name(device.name)}",
               "confirm_word": confirmation.word(device),
               "confirm_by": confirmation.by(device)}  # fmt: skip
    return render(request, "devices/delete.html", context, status=status)
