"""`/reports/`: an uptime report of one of the user's organizations or of one device, as a
page (chart, figures, maintenance and gap lists, printable) and as CSV.

Authorization first: the organization (or the device's organization) must be in the
user's scope for VIEW (the CSV: REPORT_EXPORT), else 404, whether it exists or not.
ASSUMPTION: every role that may see an organization may see its reports, the display
role too (a wall screen may show one); exporting CSV is for every role but display.
"""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from accounts import tenancy
from common import integers, moments
from reports import chart, export, periods, sources, uptime

NOT_A_DEVICE = (
    f"A device id is a whole number from 1 to {integers.ID_MAX}: leave it empty for the "
    "organization's report."
)


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


def _authorized_target(request, action: str) -> tuple[int | None, int | None]:
    """The organization and device asked for, checked before anything else is read: a
    device's own organization must be the user's; an organization outside: 404. A device
    is reported under its own organization, whichever of the user's the form had chosen."""
    org_id = integers.int_or_none(
        request.GET.get("organization", ""), minimum=1, maximum=integers.ID_MAX
    )
    device_id = integers.int_or_none(
        request.GET.get("device", ""), minimum=1, maximum=integers.ID_MAX
    )
    if device_id is not None:
        device_org = uptime.device_organization(device_id)
        if device_org is None:
            raise Http404("No such device.")
        tenancy.ensure_allowed(request.user, action, device_org)
        if org_id is not None and org_id != device_org:
            tenancy.ensure_allowed(request.user, action, org_id)
        return device_org, device_id
    if org_id is not None:
        tenancy.ensure_allowed(request.user, action, org_id)
    return org_id, None


def _read(request, action: str):
    """(form, report or None, error in words or None)."""
    org_id, device_id = _authorized_target(request, action)
    organizations = _organizations(request.user)
    data = request.GET.copy()
    if org_id is not None:
        data["organization"] = str(org_id)
    today = timezone.localdate()
    if not request.GET:
        active = getattr(request, "active_organization", None)
        initial = {"period": periods.DAY, "day": today.isoformat()}
        if active is not None or organizations:
            initial["organization"] = active or organizations[0][0]
        return ReportForm(initial=initial, organizations=organizations), None, None
    # An address that names only what to report on (a bookmark, a link) reports today's day.
    data.setdefault("period", periods.DAY)
    data.setdefault("day", today.isoformat())
    form = ReportForm(data, organizations=organizations)
    if form.is_valid() and device_id is None and form.cleaned_data["device"] is not None:
        # A typed device id only Django reads (other scripts' digits) is not one either.
        form.add_error("device", NOT_A_DEVICE)
    if not form.is_valid():
        return form, None, None
    clean = form.cleaned_data
    try:
        period = periods.period_of(
            clean["period"], clean["day"], clean["until"], timezone.get_current_timezone()
        )
    except ValueError as error:
        form.add_error("until", str(error))
        return form, None, None
    try:
        report = uptime.build(
            period=period, organization_id=clean["organization"], device_id=device_id
        )
    except sources.TooMuchHistory:
        return (
            form,
            None,
            (
                f"This range holds more than {sources.MAX_CHANGES:,} status changes, more than one "
                "report reads: choose a shorter range or one device."
            ),
        )
    return form, report, None


@require_GET
@tenancy.scoped_view()
def report_page(request):
    form, report, error = _read(request, tenancy.VIEW)
    may_export = report is not None and tenancy.can(
        request.user, tenancy.REPORT_EXPORT, report.organization_id
    )
    context = {
        "nav": "reports",
        "title": "Uptime report",
        "form": form,
        "report": report,
        "error": error,
        "zone": timezone.get_current_timezone_name(),
        "may_export": may_export,
        "query": urlencode({k: v for k, v in request.GET.items() if k in ReportForm.base_fields}),
        "chart": chart.bars(report) if report else None,
    }
    return render(request, "reports/report.html", context)


@require_GET
@tenancy.scoped_view()
def report_csv(request):
    form, report, error = _read(request, tenancy.REPORT_EXPORT)
    if report is None:
        errors = [error] if error else [t for texts in form.errors.values() for t in texts]
        context = {
            "nav": "reports",
            "title": "Nothing was exported",
            "errors": errors or ["Choose an organization and a period first."],
            "back_url": "/reports/",
            "back_label": "Back to uptime reports",
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
