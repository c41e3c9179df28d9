"""One device's page: every field of the detail record, its pending work, its age,
the action buttons the user's role allows and the recent actions, followed live.

The page answers from the cache at once. The pollers read lists, which lack the
detail-only fields; when the cached copy lacks them, the page shows those of the last
detail record read (marked with its age) and loads the record in its fields part
(htmx), which says so when the control API cannot be read.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from accounts import tenancy
from accounts.models import Organization
from common.device_names import shown_name
from controlapi.records import has_detail_fields
from devices import (
    confirmation,
    device_actions,
    form_keys,
    in_maintenance,
    notes,
    pending_words,
    refresh_requests,
    selectors,
    tasks,
)
from devices.models import ActionRecord
from devices.not_found import device_404, render_unavailable
from fleet import freshness

RECENT_ACTIONS = 8
# How long the freshness panel waits for a requested refresh before it says so.
REFRESH_WAIT_SECONDS = 30
NOT_QUEUED = (
    "The refresh could not be started: the task queue (Redis) is unreachable. Showing the "
    "last copy; try again in a minute."
)


def map_point(latitude: Decimal | None, longitude: Decimal | None):
    """Where the dot goes on the page's small equirectangular sketch (viewBox 360x180)."""
    if latitude is None or longitude is None:
        return None
    return {"x": float(longitude) + 180, "y": 90 - float(latitude)}


def organization_name(org_id: int | None) -> str:
    if org_id is None:
        return ""
    org = Organization.objects.filter(upstream_id=org_id).first()
    return org.name if org else Organization.placeholder_name(org_id)


def detail_context(
    request, read, *, action_error: str = "", typed: dict | None = None, part: bool = False
) -> dict:
    """The page's context; `part`: for the fields part, which has waited for the record."""
    device = read.device
    # A danger action's error goes next to its typed name, where the page returns to.
    danger = typed.get("action") if typed else None
    danger_error = ""
    if danger in device_actions.ACTIONS and device_actions.ACTIONS[danger].danger:
        danger_error, action_error = action_error, ""
    org = device.organization_id
    allowed = {
        name: tenancy.can(request.user, spec.permission, org)
        for name, spec in device_actions.ACTIONS.items()
    }
    actions = [
        {
            "spec": spec,
            "key": form_keys.new_key(),
            "url": reverse("devices:action", args=[device.id, name]),
            "question": spec.asks.format(name=shown_name(device.name)) if spec.asks else "",
        }
        for name, spec in device_actions.ACTIONS.items()
        if allowed[name]
    ]
    recent = list(ActionRecord.objects.filter(device_id=device.id)[:RECENT_ACTIONS])
    firmware_images = []
    if allowed["firmware"]:
        scope = tenancy.scope_for(request.user, tenancy.FIRMWARE)
        firmware_images = selectors.firmware_images(device=device, org_ids=scope.org_ids_or_none())
    resends = device_actions.resends_of(recent)
    for record in recent:
        # "Send again" once per entry, and only for those whose role allows the action (no
        # button that refuses), asking first as the action's own button does.
        record.resent = resends.get(record.pk)
        if record.resent is not None:
            record.resent_verb, record.resent_note = device_actions.resend_in_words(record.resent)
        may_resend = allowed.get(record.action) and record.resent is None
        record.resend_key = form_keys.new_key() if may_resend else ""
        spec = device_actions.ACTIONS.get(record.action)
        record.question = spec.asks.format(name=shown_name(device.name)) if spec else ""
    return {
        "device": device,
        "read": read,
        "organization_name": organization_name(org),
        "pending": [pending_words.in_words(p) for p in device.pending_settings],
        "point": map_point(device.latitude, device.longitude),
        "plain_actions": [a for a in actions if not a["spec"].danger],
        "danger_actions": [a for a in actions if a["spec"].danger],
        "confirm_word": confirmation.word(device),
        "confirm_by": confirmation.by(device),
        "firmware_images": firmware_images,
        # The fields part brings the device's own image, which the page's row may have lacked.
        "firmware_oob": part and allowed["firmware"],
        "can_refresh": tenancy.can(request.user, tenancy.REFRESH, org),
        "can_edit": tenancy.can(request.user, tenancy.DEVICE_EDIT, org),
        "can_delete": tenancy.can(request.user, tenancy.DEVICE_DELETE, org),
        "can_maintain": tenancy.can(request.user, tenancy.MAINTENANCE, org),
        "can_schedule": tenancy.can(request.user, tenancy.HEADLESS, org),
        "maintenance": None if part else in_maintenance.window_of(device, datetime.now(UTC)),
        "recent": recent,
        "pinned": [] if part else _pinned(request.user, device.id),
        "action_error": action_error,
        "danger_error": danger_error,
        "typed": typed or {},
        **_detail_state(read, part),
        "nav": "devices",
        "title": device.name or f"Device {device.id}",
    }


def _pinned(user, device_id: int) -> list:
    """The device's pinned notes: warnings at the top of its page."""
    scope = tenancy.scope_for(user, tenancy.VIEW)
    return notes.pinned_warnings([device_id], scope=scope).get(device_id, [])


def _detail_state(read, part: bool) -> dict:
    """Whether the detail-only fields are loading (the page asks for its fields part),
    could not be loaded (the part, after a failed read), and whether they are blank."""
    loading = not part and not read.detail_current
    failed = part and read.stale and not read.detail_current
    blank = (loading or failed) and not has_detail_fields(read.device)
    kept = read.detail_kept
    age = freshness.describe_age(datetime.now(UTC) - kept) if kept else ""
    return {
        "detail_loading": loading,
        "detail_failed": failed,
        "detail_blank": blank,
        "detail_age": age,
    }


@require_GET
@vary_on_headers("HX-Request")
@tenancy.scoped_view()
@device_404
def device_detail(request, device_id: int):
    # The fields part (htmx, or `?detail=1` without JavaScript) waits for the detail record;
    # the page itself never does.
    part = bool(request.htmx)
    wait = part or request.GET.get("detail") == "1"
    try:
        read = selectors.device_for_user(
            user=request.user, device_id=device_id, detail=wait, kept_detail=True
        )
    except selectors.DeviceUnavailable as error:
        if part:
            # htmx swaps no error answer: the part itself says what went wrong.
            context = {"device_id": device_id, "error": str(error)}
            return render(request, "devices/detail.html#fields-unavailable", context)
        return render_unavailable(request, device_id, error)
    context = detail_context(request, read, part=wait)
    # The freshness panel asks for the fields again once a refresh landed.
    template = "devices/detail.html#device-fields" if part else "devices/detail.html"
    return render(request, template, context)


def _freshness(request, read, *, since: float | None, status: int = 200, token="", note=""):
    context = {
        "device": read.device,
        "read": read,
        "since": since,
        "refresh_request": token,
        "refresh_note": note,
        "can_refresh": tenancy.can(request.user, tenancy.REFRESH, read.device.organization_id),
    }
    response = render(request, "devices/detail.html#freshness", context, status=status)
    return response


def _refresh_ended(request, read, *, note: str = ""):
    """The panel without its spinner; htmx stops polling it."""
    return HttpResponseStopPolling(_freshness(request, read, since=None, note=note).content)


@require_GET
@tenancy.scoped_view()
@device_404
def device_freshness(request, device_id: int):
    """The data-age panel. With `since`: polled until the refresh task named by `request` ends
    or, when its end is unknown, until the cache is newer than `since` (up to a time limit)."""
    read = selectors.device_for_user(user=request.user, device_id=device_id, detail=False)
    try:
        since = float(request.GET.get("since", ""))
    except ValueError:
        since = None
    if since is None:
        return _freshness(request, read, since=None)
    token = request.GET.get("request", "")
    ended = refresh_requests.outcome(token)
    if ended is not None and not ended.ok:
        reason = ended.error.rstrip(".")
        return _refresh_ended(
            request, read, note=f"The refresh failed: {reason}. Showing the last copy."
        )
    landed = read.as_of is not None and read.as_of.timestamp() >= since
    if landed or ended is not None:
        stop = _refresh_ended(request, read)
        trigger_client_event(stop, "device-refreshed")
        return stop
    if time.time() - since > REFRESH_WAIT_SECONDS:
        return _refresh_ended(
            request, read, note="The refresh did not finish in time; showing the last copy."
        )
    return _freshness(request, read, since=since, token=token)


@require_POST
@tenancy.scoped_view()
@device_404
def device_refresh(request, device_id: int):
    """Queue an update_status read of the device; the panel then polls until it lands."""
    read = selectors.device_for_user(
        user=request.user, device_id=device_id, action=tenancy.VIEW, detail=False
    )
    if not tenancy.can(request.user, tenancy.REFRESH, read.device.organization_id):
        return _freshness(request, read, since=None, status=200)
    since = datetime.now(UTC).timestamp()
    token = refresh_requests.start()
    if not tasks.queue_refresh(device_id, token):
        if not request.htmx:
            messages.error(request, NOT_QUEUED)
            return redirect("devices:detail", device_id)
        return _refresh_ended(request, read, note=NOT_QUEUED)
    if not request.htmx:
        return redirect("devices:detail", device_id)
    return _freshness(request, read, since=since, token=token)
