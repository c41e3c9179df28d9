"""Scheduled (headless) operations: schedule by serial, list the ones we created, refresh."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import tenancy
from common.local_paths import local_path
from controlapi import errors
from devices import creation_keys, form_keys
from devices.device_writes import NotAllowed, WriteOutcomeUnknown
from operations import services
from operations.forms import HeadlessForm

ALREADY_SCHEDULED = (
    "This form was sent already: it scheduled transaction {txn}, listed below. Nothing was "
    "scheduled again."
)
STILL_SENDING = (
    "This form is being sent already and the control API has not answered it yet. Wait a "
    "few seconds, then send it again: you will see the operation listed, or what the control "
    "API answered."
)
BAD_KEY = (
    "This form was not sent: its page is too old to tell whether it was sent before. Check "
    "the list below and the values, then send it again."
)
OUTCOME_UNKNOWN = (
    "This form was sent before and the control API's answer was lost: the operation may be "
    "scheduled. Look at the device before sending the form again, which may schedule it twice."
)


@tenancy.scoped_view()
def scheduled(request):
    zone = settings.DISPLAY_TIME_ZONE
    can_schedule = not tenancy.scope_for(request.user, tenancy.HEADLESS).is_empty
    # `?serial=` (the device page's link): that device's operations, and the form filled for it.
    serial = request.GET.get("serial", "").strip()
    initial = {"device_serial": serial}
    form = HeadlessForm(request.POST or None, initial=initial, default_zone=zone)
    # The form's one-time key: kept while the same form may still be sent, new once what
    # became of it is told.
    posted_key = request.POST.get("submit_key", "")
    key = posted_key if form_keys.well_formed(posted_key) else form_keys.new_key()
    status = 400 if request.method == "POST" else 200
    same_operation = None
    if request.method == "POST" and can_schedule and form.is_valid():
        data = form.cleaned_data
        try:
            record = services.headless_create(
                user=request.user, device_serial=data["device_serial"].strip(),
                operation_type=data["operation_type"], scheduled_time=data["scheduled_time"],
                parameters=data["parameters"], key=posted_key,
                again=request.POST.get("again") == "yes",
            )  # fmt: skip
        except form_keys.SentBefore as done:
            sent = done.row.record
            messages.info(request, ALREADY_SCHEDULED.format(
                txn=sent.txn_id if sent else "(its record is gone)"
            ))  # fmt: skip
            return redirect("operations:scheduled")
        except services.SameOperation as same:
            same_operation, status = same.record, 409
        except creation_keys.StillSending:
            form.add_error(None, STILL_SENDING)
            status = 409
        except form_keys.BadKey:
            form.add_error(None, BAD_KEY)
            key = form_keys.new_key()
        except creation_keys.OutcomeUnknown:
            form.add_error(None, OUTCOME_UNKNOWN)
            key = form_keys.new_key()  # sending again is the user's choice, once they looked
        except (errors.NotFound, services.UnknownSerial):
            form.add_error("device_serial", services.UNKNOWN_SERIAL)
        except NotAllowed as error:
            form.add_error("device_serial", str(error))
        except errors.ValidationFailed as error:
            for name, texts in error.field_errors.items():
                for text in texts:
                    form.add_error(name if name in form.fields else None, text)
        except WriteOutcomeUnknown as error:
            # The upstream cannot list operations without their ids: this one is untracked.
            form.add_error(
                None, f"{errors.as_sentence(error)} The dashboard got no transaction id for it, "
                "so it is not listed here: look at the device before sending the form again, "
                "which may schedule it twice.",
            )  # fmt: skip
            key = form_keys.new_key()  # sending again is the user's choice, once they looked
        except errors.ControlAPIError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Scheduled: transaction {record.txn_id}.")
            return redirect("operations:scheduled")
    context = {
        "form": form,
        "submit_key": key,
        "same_operation": same_operation,
        "can_schedule": can_schedule,
        "records": _with_refresh(
            request.user, services.headless_visible(request.user, serial=serial)[:200]
        ),
        "serial": serial,
        "nav": "operations",
        "title": "Scheduled operations",
    }
    return render(request, "operations/scheduled.html", context, status=status)


def _with_refresh(user, records) -> list:
    records = list(records)
    for record in records:
        record.can_refresh = services.may_refresh(user, record)
    return records


@require_POST
@tenancy.scoped_view()
def refresh(request, record_id: int):
    try:
        record = services.headless_refresh(user=request.user, record_id=record_id)
    except NotAllowed as error:
        messages.error(request, str(error))
    except errors.ControlAPIError as error:
        said = errors.as_sentence(error)
        messages.error(request, f"Could not read the operation's status: {said}")
    else:
        said = f"reports “{record.status_label}”" if record.status else "reports no status yet"
        messages.info(request, f"Transaction {record.txn_id}: the control API {said}.")
    # Back to the list as it was (e.g. one serial's operations), never off the site.
    return redirect(local_path(request, request.POST.get("next", "")) or "operations:scheduled")
