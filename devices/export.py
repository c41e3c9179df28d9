"""The devices page as CSV: everything the filter matches, not just one page.

Same URL parameters as the list (devices.list_filters), the user's organizations
applied inside the query, streamed row by row while paging through the read
model, so an export of the whole fleet never sits in memory. One row per device with
the fields of the detail record; the record type carries no password, and
`extra` (unknown upstream fields) is left out so nothing unvetted leaks.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from functools import partial

import redis
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from accounts import audit, tenancy
from accounts.models import Organization
from common import spreadsheet_cells
from controlapi.records import Device
from devices import list_filters, list_selectors

EXCLUDED = {"extra"}
COLUMNS = [name for name in Device.__struct_fields__ if name not in EXCLUDED]
# Put after the device's own organization id, in words.
HEADER = [*COLUMNS, "organization_name"]
# The CSV's fields of each of the list's columns (list_filters.COLUMN_KEYS): a list showing
# some columns only exports theirs, after the device's id; showing all, every field.
COLUMN_FIELDS = {
    "status": ("status", "status_change"),
    "name": ("name",),
    "serial": ("serial_number",),
    "customer": ("customer_id",),
    "organization": ("organization_id", "organization_name"),
    "type": ("type", "type_short_name"),
    "location": ("location_name",),
    "software": ("software_version",),
    "address": ("address",),
    "seen": ("last_connection",),
    "pending": ("pending_settings",),
}
assert set(COLUMN_FIELDS) == set(list_filters.COLUMN_KEYS)


def header_for(columns: tuple[str, ...]) -> list[str]:
    if columns == list_filters.COLUMN_KEYS:
        return HEADER
    return ["id", *(name for column in columns for name in COLUMN_FIELDS[column])]


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):  # pending_settings
        value = ",".join(str(p.name if p.value is None else f"{p.name}:{p.value}") for p in value)
    return spreadsheet_cells.defused(str(value))


def rows(devices, names: dict[int, str], header: list[str] = HEADER):
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for device in devices:
        org = device.organization_id
        name = names.get(org) or ("" if org is None else Organization.placeholder_name(org))
        yield writer.writerow(
            [_cell(name if field == "organization_name" else getattr(device, field))
             for field in header]
        )  # fmt: skip


def _refused(request, errors, *, status: int, filters=None):
    """Nothing exported: the reasons in the site's layout, with the list at the same filter."""
    query = urlencode(filters.params()) if filters is not None else ""
    context = {"nav": "devices", "title": "Nothing was exported", "errors": errors,
               "back_url": reverse("devices:list") + (f"?{query}" if query else ""),
               "back_label": "Back to the devices"}  # fmt: skip
    return render(request, "export_refused.html", context, status=status)


NO_EXPORT = (
    "Your role does not allow exporting devices here (a wall screen's display account sees "
    "them and exports nothing)."
)


def csv_response(request):
    """`request.scope`: the organizations where the user may export."""
    if request.scope.is_empty:
        return _refused(request, [NO_EXPORT], status=403)
    now = datetime.now(UTC)
    outside = partial(tenancy.outside_scope_message, request, verb="export")
    filters = list_filters.parse(request.GET, scope=request.scope, now=now, outside=outside)
    if filters.errors:
        return _refused(request, filters.errors, status=400, filters=filters)
    org_ids = request.scope.org_ids_or_none()
    query = filters.without_paging(limit=1)
    try:
        devices = list_selectors.iter_matching(org_ids, query)
        first = next(devices, None)  # fail here, not halfway through the stream
    except redis.RedisError:
        why = "The export needs the fleet cache (Redis), which is unreachable. Try again shortly."
        return _refused(request, [why], status=503, filters=filters)
    known = Organization.objects.all()
    if not request.scope.all:
        known = known.filter(upstream_id__in=request.scope.ids)
    names = dict(known.values_list("upstream_id", "name"))
    audit.record_action(
        user=request.user,
        action="export",
        result=audit.OK,
        organization_id=filters.organization,
        parameters={**filters.params(), "format": "csv"},
    )
    stream = rows(_chain(first, devices), names, header_for(filters.columns))
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="devices-{now:%Y%m%d-%H%M%S}.csv"'
    return response


def _chain(first, rest):
    if first is not None:
        yield first
        yield from rest
