"""Maintenance windows' pages: the list (in force, upcoming, past), one window, a new one,
and "end now". Anyone who sees an organization sees its windows; making and ending them
takes the maintenance permission there (tenancy.MAINTENANCE)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import tenancy
from common import integers
from common.elapsed import since
from maintenance_windows import services
from operations import windows
from operations.window_forms import WindowForm

NOT_ALLOWED = "Your role does not allow maintenance windows in this organization."
KEPT_ALREADY = (
    "Maintenance window {pk} keeps exactly this already (kept by {who}, {ago} ago): nothing "
    "new was kept."
)


def _now() -> datetime:
    return datetime.now(UTC)


@tenancy.scoped_view()
def window_list(request):
    now = _now()
    groups = windows.listed(request.scope, now=now, user=request.user)
    context = {
        "in_force": groups[services.IN_FORCE],
        "upcoming": groups[services.UPCOMING],
        "past": groups[services.ENDED],
        "can_create": not tenancy.scope_for(request.user, tenancy.MAINTENANCE).is_empty,
        "viewer_zone": settings.DISPLAY_TIME_ZONE,
        "nav": "windows",
        "title": "Maintenance windows",
    }
    return render(request, "operations/windows.html", context)


@tenancy.scoped_view()
def window_detail(request, window_id: int):
    window = windows.window_for_user(request.user, window_id)
    now = _now()
    names = windows.organization_names([window.organization_id])
    types = windows.type_names(frozenset({window.organization_id})) if window.type_id else {}
    row = windows.row_for(window, now=now, names=names, types=types)
    may = tenancy.can(request.user, tenancy.MAINTENANCE, window.organization_id)
    row["can_end"] = may and windows.endable(row)
    row["can_edit_record"] = may and row["follows_record"]
    context = {
        "row": row,
        "viewer_zone": settings.DISPLAY_TIME_ZONE,
        "nav": "windows",
        "title": f"Maintenance window {window.pk}",
    }
    return render(request, "operations/window.html", context)


def _initial(request) -> dict:
    """`?organization=&device=` (a device's maintenance page links here): the form filled
    for that device."""
    initial = {}
    org = integers.int_or_none(
        request.GET.get("organization", ""), minimum=1, maximum=integers.ID_MAX
    )
    if org is not None:
        initial["organization"] = org
    device = integers.int_or_none(
        request.GET.get("device", ""), minimum=1, maximum=integers.INT64_MAX
    )
    if device is not None:
        initial |= {"covers": "devices", "device_ids": str(device)}
    return initial


def _past_start(window) -> str:
    """Words for a window whose start (or "from") was already past when it was kept: it
    counts only from then (maintenance_windows.models, `counts_from`); "" otherwise."""
    if window.counts_from <= window.starts_at:
        return ""
    zone = window.zone

    def local(moment: datetime) -> str:
        return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"

    what = "start" if window.recurrence == "once" else "“from”"
    return (
        f"Its {what} ({local(window.starts_at)} {window.time_zone}) was already past: it counts "
        f"only from now ({local(window.counts_from)} {window.time_zone}), and the reports keep "
        "what was observed before."
    )


@tenancy.scoped_view()
def window_new(request):
    scope = tenancy.scope_for(request.user, tenancy.MAINTENANCE)
    if scope.is_empty:
        messages.error(request, NOT_ALLOWED)
        return redirect("operations:windows")
    organizations = list(tenancy.organizations_for(request.user).order_by("name"))
    organizations = [o for o in organizations if scope.allows(o.upstream_id)]
    now = _now()
    form = WindowForm(
        request.POST or None,
        initial=_initial(request),
        organizations=organizations,
        types=windows.type_names(scope.org_ids_or_none()),
        default_zone=settings.DISPLAY_TIME_ZONE,
        now=now,
    )
    if request.method == "POST" and form.is_valid():
        try:
            window = windows.create(form.spec, now=now, user=request.user)
        except windows.Refused as refused:
            form.add_problems(refused.problems)
        except services.KeptAlready as kept:
            messages.info(request, KEPT_ALREADY.format(
                pk=kept.window.pk, who=kept.window.owner_name or "someone",
                ago=since(kept.window.created_at, now),
            ))  # fmt: skip
            return redirect("operations:window", kept.window.pk)
        else:
            said = f"Maintenance window {window.pk} kept: {window.reason}."
            messages.success(request, f"{said} {past}" if (past := _past_start(window)) else said)
            return redirect("operations:window", window.pk)
    context = {"form": form, "nav": "windows", "title": "New maintenance window"}
    return render(
        request,
        "operations/window_form.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@tenancy.scoped_view()
def window_end(request, window_id: int):
    window = windows.window_for_user(request.user, window_id)
    if not tenancy.can(request.user, tenancy.MAINTENANCE, window.organization_id):
        messages.error(request, NOT_ALLOWED)
        return redirect("operations:window", window.pk)
    try:
        ended = services.end_window(window, now=(now := _now()), user=request.user)
    except services.FollowsRecord as refused:
        messages.error(request, f"{refused} Nothing was ended.")
    else:
        if ended:
            said = "cancelled: it will not start" if services.not_started(window, now) else "ended"
            messages.success(request, f"Maintenance window {window.pk} {said}.")
        else:
            messages.info(request, f"Maintenance window {window.pk} was already over.")
    return redirect("operations:window", window.pk)
