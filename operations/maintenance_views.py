"""The maintenance (operational) record of one device: PUT through a form, history shown
from the last answer we kept (the API has no GET for it)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render

from accounts import tenancy
from common import device_names, moments
from controlapi import errors
from devices import device_writes, selectors
from devices.not_found import device_404
from operations import maintenance
from operations.forms import MaintenanceForm
from operations.maintenance_history import history_in_words
from operations.models import MaintenanceSnapshot


def stored_datetime(answer: dict, name: str) -> datetime | None:
    """A date-time of the kept answer (ISO-8601 with an offset), or None when absent, not
    readable, or outside `common.moments`' years (no widget could show it); such a one is
    then not offered in the form."""
    try:
        value = datetime.fromisoformat(answer.get(name) or "")
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo is not None and moments.within(value) else None


@tenancy.scoped_view()
@device_404
def device_maintenance(request, device_id: int):
    read = selectors.device_for_user(user=request.user, device_id=device_id, detail=False)
    device = read.device
    if not tenancy.can(request.user, tenancy.MAINTENANCE, device.organization_id):
        messages.error(
            request, "Your role in this organization does not allow maintenance records."
        )
        return redirect("devices:detail", device_id)
    snapshot = MaintenanceSnapshot.objects.filter(device_id=device_id).first()
    last = snapshot.answer if snapshot else {}
    # Assumption (the simulator's): a device without a record yet is "active".
    current = last.get("operational_status") or "active"
    initial = {
        "operational_status": current,
        "assigned_user": last.get("assigned_user") or "",
        "maintenance_notes": last.get("maintenance_notes") or "",
    }
    chosen = snapshot.next_maintenance_zone if snapshot else ""
    # The zone chosen at the last save, while the zone database still knows it.
    zone_chosen = chosen in zoneinfo.available_timezones()
    zone = chosen if zone_chosen else settings.DISPLAY_TIME_ZONE
    form = MaintenanceForm(request.POST or None, initial=initial, current_status=current,
                           default_zone=zone, zone_chosen=zone_chosen,
                           stored_next=stored_datetime(last, "next_maintenance"),
                           stored_configuration=last.get("configuration"))  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            maintenance.device_maintenance_update(user=request.user, device_id=device_id,
                                               fields=form.payload(last),
                                               zone=form.cleaned_data["time_zone"])  # fmt: skip
        except errors.ValidationFailed as error:
            for name, texts in error.field_errors.items():
                for text in texts:
                    form.add_error(name if name in form.fields else None, text)
        except (errors.ControlAPIError, device_writes.WriteOutcomeUnknown) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Maintenance record saved.")
            return redirect("operations:maintenance", device_id)
    if form.is_bound:
        form.hide_new_secrets()  # the refused form is shown again: never with a secret in it
    context = {
        "device": device, "form": form, "snapshot": snapshot, "last": last,
        "history": history_in_words(last.get("operational_history") or []),
        "nav": "devices", "title": f"Maintenance of {device_names.shown_name(device.name)}",
    }  # fmt: skip
    return render(request, "operations/edit_maintenance.html", context,
                  status=400 if request.method == "POST" else 200)  # fmt: skip
