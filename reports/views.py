"""`/reports/`: an uptime report of one of the user's organizations or of one device, as a
page (chart, figures, maintenance and gap lists, printable) and as CSV.

Authorization first: the organization (or the device's organization) must be in the
user's scope for VIEW (the CSV: REPORT_EXPORT), else 404, whether it exists or not (the
page then keeps its form, a device id refused in the same words either way).
ASSUMPTION: every role that may see an organization may see its reports, the display
role too (a wall screen may show one); exporting CSV is for every role but display.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts import tenancy
from common import integers, moments
from reports import chart, export, periods, prepared, sources, tasks, uptime

NOT_PREPARED = (
    "This organization's report is prepared by a worker: prepare it on the report page "
    "first, then export it."
)
NOT_PREPARED_YET = "This report is still being prepared: export it when the page shows it."
NOT_A_DEVICE = (
    f"A device id is a whole number from 1 to {integers.ID_MAX}: leave it empty for the "
    "organization's report."
)


NO_SUCH_DEVICE = (
    "No device {id} among your organizations' devices: check the id, or leave it empty for "
    "the organization's report."
)


class DeviceNotYours(Http404):
    """No device of this id that the user may report on: unknown, or another organization's
    (said alike)."""

    def __init__(self, device_id: int):
        super().__init__("No such device.")
        self.device_id = device_id


class ReportForm(forms.Form):
    organization = forms.TypedChoiceField(coerce=int, label="Organization")
    # A device id typed wrong is refused in words, never read as "the whole organization".
    device = forms.IntegerField(
        required=False, min_value=1, max_value=integers.ID_MAX, label="Device id (optional)",
        error_messages={"invalid": NOT_A_DEVICE, "min_value": NOT_A_DEVICE,
                        "max_value": NOT_A_DEVICE},
    )  # fmt: skip
    period = forms.ChoiceField(choices=periods.PERIODS, initial=periods.DAY, label="Period")
    day = forms.DateField(label="Day (or first day)", validators=[moments.validate_date])
    until = forms.DateField(
        required=False, label="Last day (custom dates)", validators=[moments.validate_date]
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = organizations


def _organizations(user):
    return [
        (o.upstream_id, f"{o.name} (#{o.upstream_id})") for o in tenancy.organizations_for(user)
    ]


def _authorized_target(params, user, action: str) -> tuple[int | None, int | None]:
    """The organization and device asked for, checked before anything else is read: a
    device's own organization must be the user's; an organization outside: 404. A device
    is reported under its own organization, whichever of the user's the form had chosen."""
    org_id = integers.int_or_none(
        params.get("organization", ""), minimum=1, maximum=integers.ID_MAX
    )
    device_id = integers.int_or_none(params.get("device", ""), minimum=1, maximum=integers.ID_MAX)
    if device_id is not None:
        device_org = uptime.device_organization(device_id)
        if device_org is None or not tenancy.can(user, action, device_org):
            raise DeviceNotYours(device_id)
        if org_id is not None and org_id != device_org:
            tenancy.ensure_allowed(user, action, org_id)
        return device_org, device_id
    if org_id is not None:
        tenancy.ensure_allowed(user, action, org_id)
    return org_id, None


@dataclass
class Reading:
    """What the page shows: the form, and the report or why there is none; for an
    organization whose report a worker prepares, what is known of it (`background`)."""

    form: ReportForm
    report: uptime.Report | None = None
    error: str | None = None
    period: periods.Period | None = None
    background: prepared.Status | None = None


def _read(request, params, action: str, *, compute: bool = True) -> Reading:
    """The form read from `params`, authorized for `action` first; with `compute`, the
    report (built now, or the one a worker prepared)."""
    org_id, device_id = _authorized_target(params, request.user, action)
    organizations = _organizations(request.user)
    data = params.copy()
    if org_id is not None:
        data["organization"] = str(org_id)
    today = timezone.localdate()
    if not params:
        active = getattr(request, "active_organization", None)
        initial = {"period": periods.DAY, "day": today.isoformat()}
        if active is not None or organizations:
            initial["organization"] = active or organizations[0][0]
        return Reading(ReportForm(initial=initial, organizations=organizations))
    # An address that names only what to report on (a bookmark, a link) reports today's day.
    data.setdefault("period", periods.DAY)
    data.setdefault("day", today.isoformat())
    form = ReportForm(data, organizations=organizations)
    if form.is_valid() and device_id is None and form.cleaned_data["device"] is not None:
        # A typed device id only Django reads (other scripts' digits) is not one either.
        form.add_error("device", NOT_A_DEVICE)
    if not form.is_valid():
        return Reading(form)
    clean = form.cleaned_data
    try:
        period = periods.period_of(
            clean["period"], clean["day"], clean["until"], timezone.get_current_timezone()
        )
    except ValueError as error:
        form.add_error("until", str(error))
        return Reading(form)
    organization_id = clean["organization"]
    devices = prepared.size(organization_id) if device_id is None else None
    if prepared.in_background(devices):
        if not compute:
            known = prepared.status(period, organization_id, devices)
            return Reading(form, period=period, background=known)
        known, report = prepared.newest(period, organization_id, devices)
        return Reading(form, report=report, period=period, background=known)
    if not compute:
        return Reading(form, period=period)
    try:
        report = uptime.build(period=period, organization_id=organization_id, device_id=device_id)
    except sources.TooMuchHistory:
        return Reading(form, error=sources.TOO_MUCH.format(limit=sources.MAX_CHANGES))
    return Reading(form, report=report, period=period)


def _query(params) -> str:
    return urlencode({k: v for k, v in params.items() if k in ReportForm.base_fields})


@require_GET
@vary_on_headers("HX-Request")
@tenancy.scoped_view()
def report_page(request):
    # The part that waits asks only whether to show the page again: nothing is read back.
    status = 200
    try:
        reading = _read(request, request.GET, tenancy.VIEW, compute=not request.htmx)
    except DeviceNotYours as missing:
        reading, status = _device_refused(request, missing.device_id), 404
    known = reading.background
    if request.htmx:
        # The part that waits for a worker asks again; once there is something else to
        # show (the report, or why not), the whole page is shown afresh.
        if known is not None and known.waiting:
            return render(request, "reports/report.html#prepared-status", {"prepared": known})
        return HttpResponse(headers={"HX-Refresh": "true"})
    report = reading.report
    organization_id = reading.form.cleaned_data.get("organization") if reading.period else None
    # The form's organization is the report's (a device's own, for a device report).
    organization_label = dict(reading.form.fields["organization"].choices).get(organization_id)
    may_export = report is not None and tenancy.can(
        request.user, tenancy.REPORT_EXPORT, report.organization_id
    )
    context = {
        "nav": "reports",
        "title": "Uptime report",
        "form": reading.form,
        "organization_label": organization_label,
        "report": report,
        "error": reading.error,
        "prepared": known,
        "may_prepare": known is not None
        and tenancy.can(request.user, tenancy.REPORT_EXPORT, organization_id),
        "background_devices": f"{settings.REPORT_BACKGROUND_DEVICES:,}",
        "prepared_devices": f"{known.devices:,}" if known else "",
        "zone": timezone.get_current_timezone_name(),
        "may_export": may_export,
        "query": _query(request.GET),
        "chart": chart.bars(report) if report else None,
    }
    return render(request, "reports/report.html", context, status=status)


def _device_refused(request, device_id: int) -> Reading:
    """The form as typed, its device id refused in words: nothing of the device is read."""
    form = ReportForm(request.GET, organizations=_organizations(request.user))
    form.is_valid()
    form.add_error("device", NO_SUCH_DEVICE.format(id=device_id))
    return Reading(form)


@require_POST
@tenancy.scoped_view()
def report_prepare(request):
    """Ask a worker to prepare the report the form names (an organization's, past
    REPORT_BACKGROUND_DEVICES); the page then shows how it goes."""
    reading = _read(request, request.POST, tenancy.REPORT_EXPORT, compute=False)
    if reading.background is not None:
        prepared.ask(
            user=request.user,
            period=reading.period,
            organization_id=reading.form.cleaned_data["organization"],
            devices=reading.background.devices,
            queue=tasks.queue,
        )
    return redirect(f"{reverse('reports:report')}?{_query(request.POST)}")


@require_GET
@tenancy.scoped_view()
def report_csv(request):
    reading = _read(request, request.GET, tenancy.REPORT_EXPORT)
    report = reading.report
    if report is None:
        form, known = reading.form, reading.background
        if known is not None:
            errors = [NOT_PREPARED_YET if known.waiting else NOT_PREPARED]
        elif reading.error:
            errors = [reading.error]
        else:
            errors = [t for texts in form.errors.values() for t in texts]
        context = {
            "nav": "reports",
            "title": "Nothing was exported",
            "errors": errors or ["Choose an organization and a period first."],
            "back_url": f"{reverse('reports:report')}?{_query(request.GET)}",
            "back_label": "Back to the uptime report",
        }
        return render(request, "export_refused.html", context, status=400)
    response = HttpResponse(export.csv_text(report), content_type="text/csv")
    name = f"uptime-{report.organization_id}"
    if report.device_id:
        name += f"-device-{report.device_id}"
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{report.period.first_day:%Y%m%d}-'
        f'{report.period.last_day:%Y%m%d}.csv"'
    )
    return response
