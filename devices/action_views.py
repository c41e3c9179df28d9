"""The action buttons: one POST per action, the live follow panel, and "send again".

Plain forms (they work without JavaScript): a POST answers with a redirect to the
device page, which shows the action's record and follows it. Every form carries a
one-time key, so a second POST of the same form returns the first record.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from accounts import tenancy
from common.templatetags.elapsed import clock_or_day
from devices import action_follow, device_actions, selectors
from devices.detail_views import detail_context
from devices.models import ActionRecord
from devices.not_found import device_404, render_unavailable


def _back_to(device_id: int, record: ActionRecord):
    return redirect(reverse("devices:detail", args=[device_id]) + f"#action-{record.pk}")


def _input_error(request, device_id: int, error: Exception, action: str):
    """The device page again, with the error next to the buttons and what was typed."""
    read = selectors.device_for_user(user=request.user, device_id=device_id, detail=False)
    typed = {"action": action, **{k: v for k, v in request.POST.items() if k != "key"}}
    typed.pop("csrfmiddlewaretoken", None)
    context = detail_context(request, read, action_error=str(error), typed=typed)
    return render(request, "devices/detail.html", context, status=400)


@require_POST
@tenancy.scoped_view()
@device_404
def device_action(request, device_id: int, action: str):
    if action not in device_actions.ACTIONS:
        raise Http404("No such action.")
    try:
        record, replayed = device_actions.device_action(
            device_id=device_id,
            user=request.user,
            action=action,
            idempotency_key=request.POST.get("key", ""),
            parameters=request.POST,
        )
    except device_actions.ActionInputError as error:
        return _input_error(request, device_id, error, action)
    except selectors.DeviceUnavailable as error:
        return render_unavailable(request, device_id, error)
    if replayed:
        messages.info(request, "This form was already sent: showing the first request's result.")
    return _back_to(device_id, record)


@require_POST
@tenancy.scoped_view()
@device_404
def device_action_resend(request, device_id: int, record_id: int):
    key = request.POST.get("key", "")
    try:
        record, replayed = device_actions.device_action_resend(
            record_id=record_id, device_id=device_id, user=request.user, idempotency_key=key
        )
    except device_actions.ActionInputError as error:
        return _input_error(request, device_id, error, "resend")
    if replayed and record.key != key:
        verb, _ = device_actions.resend_in_words(record)
        at = clock_or_day(record.created_at, "H:i")
        messages.info(
            request,
            f"This action was already {verb.lower()} at {at} by {record.user.get_username()}, "
            "so nothing was sent this time: its result is below.",
        )
    elif replayed:
        messages.info(request, "This form was already sent: showing the first request's result.")
    return _back_to(device_id, record)


@require_GET
@tenancy.scoped_view()
@device_404
def device_action_status(request, device_id: int, record_id: int):
    """The follow panel of one action, polled while the device has not confirmed it."""
    record = ActionRecord.objects.filter(pk=record_id, device_id=device_id).first()
    if record is None:
        raise Http404("No such action.")
    tenancy.ensure_allowed(request.user, tenancy.VIEW, record.organization_id)
    record = action_follow.action_follow(record=record)
    record.resend_key = ""
    response = render(request, "devices/actions/record.html", {"record": record})
    if record.follow != ActionRecord.Follow.WAITING:
        # The read that settled it is in the cache now: the page's fields (pending
        # settings) reload from it, so that they agree with the verdict.
        return trigger_client_event(HttpResponseStopPolling(response.content), "device-refreshed")
    return response
