"""The audit page: every action taken through the dashboard, filtered, paged and exported.

Read-only by construction: the page and the export only read, and the model refuses
updates and deletes (accounts.models.AuditEntry).
"""

from __future__ import annotations

import csv
from datetime import datetime, time, timedelta

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts import audit, tenancy
from accounts.models import AuditEntry, Organization
from common import integers, moments
from common.spreadsheet_cells import defused

AUDIT_PAGE_SIZE = 50
CSV_COLUMNS = [
    "created_at", "username", "organization_id", "organization", "device_id", "device_name",
    "action", "parameters", "result", "upstream_status", "duration_ms", "error_message",
    "request_id",
]  # fmt: skip


class AuditFilterForm(forms.Form):
    user = forms.CharField(required=False, max_length=150)
    organization = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    action = forms.CharField(required=False, max_length=64)
    result = forms.ChoiceField(required=False, choices=[("", "Any"), *AuditEntry.Result.choices])
    since = forms.DateField(required=False, label="From (date)", validators=[moments.validate_date])
    until = forms.DateField(
        required=False, label="To (date, inclusive)", validators=[moments.validate_date]
    )
    device = forms.IntegerField(
        required=False, min_value=1, max_value=integers.ID_MAX, label="Device id"
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [("", "Any"), *organizations]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        # Reversed dates would silently show an empty trail.
        if since and until and until < since:
            self.add_error(
                "until",
                f"{until.isoformat()} is before the “from” date {since.isoformat()}: no entry "
                "can be between them. Swap the dates or change one.",
            )
        return data


def _ensure_may_audit(request) -> None:
    """404 for a user who holds the audit action nowhere (a wall screen's account)."""
    if tenancy.scope_for(request.user, tenancy.AUDIT).is_empty:
        raise Http404("No such page.")


def _day_start(day):
    # Dates are read in the display zone the page states.
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def filtered_entries(request, *, verb: str = "see"):
    """(form, entries) for the request's filters, inside the user's organizations. `verb`
    words an organization outside them ("see", "export")."""
    orgs = Organization.objects.all()
    if not request.scope.all:
        orgs = orgs.filter(upstream_id__in=request.scope.ids)
    choices = [(o.upstream_id, f"{o.name} (#{o.upstream_id})") for o in orgs]
    form = AuditFilterForm(request.GET or None, organizations=choices)
    raw = request.GET.get("organization", "").strip()
    if raw:
        # Outside the choices: say why in words, not Django's "not one of the available choices".
        org_id = integers.int_or_none(raw, minimum=1, maximum=integers.ID_MAX)
        why = (
            tenancy.outside_scope_message(request, org_id, verb=verb)
            if org_id is not None
            else f"Organization “{raw}” is not an organization id (a whole number)."
        )
        # Django formats the message with %(value)s: a "%" typed by the user must stay text.
        form.fields["organization"].error_messages["invalid_choice"] = why.replace("%", "%%")
    entries = audit.entries_for(request.scope)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        entries = audit.filter_entries(
            entries,
            username=data["user"].strip(),
            organization_id=data["organization"],
            actions=audit.actions_matching(data["action"]) if data["action"].strip() else None,
            result=data["result"],
            since=_day_start(data["since"]) if data["since"] else None,
            until=_day_start(data["until"] + timedelta(days=1)) if data["until"] else None,
            device_id=data["device"],
        )
    elif form.is_bound:
        entries = entries.none()
    return form, entries


def _in_words(entries, scope):
    """The page's entries with their organization's name, action and parameters in words,
    and a device name where the entry kept none (`audit.device_names`)."""
    names = audit.organization_names_of(
        {entry.organization_id for entry in entries}.union(
            *(audit.organization_ids(entry.parameters) for entry in entries)
        )
    )
    devices = audit.device_names(scope, {e.device_id for e in entries if not e.device_name})
    for entry in entries:
        entry.organization_name = names.get(entry.organization_id, "")
        entry.action_label = audit.action_label(entry.action)
        entry.parameter_words = audit.describe_parameters(
            entry.parameters, organization_names=names
        )
        entry.shown_device_name = entry.device_name or devices.get(entry.device_id, "")
    return entries


@require_GET
@vary_on_headers("HX-Request")
@tenancy.scoped_view(action=tenancy.AUDIT)
def audit_list(request):
    _ensure_may_audit(request)
    form, entries = filtered_entries(request)
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    _in_words(page.object_list, request.scope)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "entries": page.object_list,
        "form": form,
        "query": query.urlencode(),
        "nav": "audit",
    }
    # htmx paging and filtering swap only the table.
    template = "dashboard/audit.html#audit-table" if request.htmx else "dashboard/audit.html"
    return render(request, template, context)


class _Echo:
    def write(self, value):
        return value


def _csv_rows(entries):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    names = dict(Organization.objects.values_list("upstream_id", "name"))
    for entry in entries.iterator(chunk_size=500):
        cells = [
            entry.created_at.isoformat(), entry.username, entry.organization_id,
            names.get(entry.organization_id, ""), entry.device_id, entry.device_name,
            entry.action, audit.parameters_json(entry.parameters), entry.get_result_display(),
            entry.upstream_status,
            entry.duration_ms, entry.error_message, entry.request_id,
        ]  # fmt: skip
        # Names, errors and usernames are text others typed: none may run as a formula.
        yield writer.writerow([defused(c) if isinstance(c, str) else c for c in cells])


@require_GET
@tenancy.scoped_view(action=tenancy.AUDIT)
def audit_export(request):
    """The filtered trail as CSV, streamed row by row (no size limit in memory); a filter
    that cannot apply exports nothing and says why, in the site's layout. Each entry as it
    was recorded, for other tools (the page says so): stored action names, parameters as
    JSON, times in UTC; the page's words are not exported."""
    _ensure_may_audit(request)
    form, entries = filtered_entries(request, verb="export")
    if form.is_bound and not form.is_valid():
        errors = [text for texts in form.errors.values() for text in texts]
        back = {"back_url": reverse("audit"), "back_label": "Back to the audit trail"}
        context = {"nav": "audit", "title": "Nothing was exported", "errors": errors, **back}
        return render(request, "export_refused.html", context, status=400)
    response = StreamingHttpResponse(_csv_rows(entries), content_type="text/csv")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
