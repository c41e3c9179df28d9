"""The device list's rows, rendered in one pass in Python.

The list shows up to 200 rows and is refreshed every 10 s in every open tab.
Through the template engine each row cost about 150 µs for its dozen cells, and
with the per-row {% include %}, {% url %}, `date` and `timesince` of before, the
rows were most of the page's CPU (docs/PERFORMANCE.md, "Pages"). Here a row is
one format string filled with escaped values: the same markup, a tenth of the cost.

The texts are those of the filters they replace: `timesince` (Django's own
function), `date:"Y-m-d H:i:s"` in the current (display) time zone, `default:"—"`.
The status cell is `templates/devices/includes/status_badge.html`'s markup and
the pending cell `pending_badges.html`'s: a change there belongs here too.
ASSUMPTION: a device's shown fields are strings or whole numbers, printed as the
template engine prints them (no thousands separator: USE_THOUSAND_SEPARATOR is off).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.timezone import get_current_timezone
from django.utils.translation import get_language

from controlapi.records import Device

NONE = "—"  # an empty cell
# A device id no device has: its digits mark where the id goes in the detail URL,
# which is reversed once per page, not once per row.
_MARK = "987654321987654321"

# Each cell has its column's class (devices.views.COLUMNS): narrower screens hide some.
_ROW = (
    '<tr class="fleet-row" data-device-id="{id}" data-href="{url}">{select}'
    '<td class="status-cell col-status">'
    '<span class="badge badge-status-{status_class}">{status}</span>{since}</td>'
    '<td class="col-name"><a class="device-link" href="{url}">{title}</a></td>'
    '<td class="num col-serial">{serial}</td><td class="col-customer">{customer}</td>'
    '<td class="col-org">{organization}</td><td class="col-type">{type}</td>'
    '<td class="col-location">{location}</td><td class="col-software">{software}</td>'
    '<td class="num col-address">{address}</td>'
    '<td class="col-seen" title="{seen_title}">{seen}</td>'
    '<td class="col-pending">{pending}</td></tr>\n'
)
_SELECT = (
    '<td class="select-col"><input type="checkbox" name="device" value="{id}" form="bulk-form"'
    ' aria-label="Select {name}"></td>'
)
_SINCE = ' <span class="muted since" title="{title}">{text}</span>'
_PENDING = '<span class="badge badge-pending" title="{title}">{name}</span> '
_NO_PENDING = '<span class="muted">—</span>'


def stamp(moment: datetime | None, zone: tzinfo) -> str:
    """The `date:"Y-m-d H:i:s"` filter's text: the moment in `zone`, the current (display)
    zone."""
    if moment is None:
        return ""
    # The filter shows a naive time as it is.
    local = moment if moment.tzinfo is None else moment.astimezone(zone)
    # Formatting the fields directly costs a third of strftime; the same digits.
    return "%04d-%02d-%02d %02d:%02d:%02d" % (  # noqa: UP031 (see above)
        local.year, local.month, local.day, local.hour, local.minute, local.second
    )  # fmt: skip


def since(moment: datetime, now: datetime, language: str | None) -> str:
    """The `timesince` filter's text ("" where the filter gives ""), escaped; `language`:
    the active one."""
    try:
        # As `timesince` counts: on the wall clock of the moment's zone.
        delta = now.astimezone(moment.tzinfo) - moment
        if timedelta(0) < delta < _BY_MINUTES:
            minutes = delta // timedelta(minutes=1)
            return _since_minutes(minutes, language)
        return escape(timesince(moment, now))
    except (ValueError, TypeError):
        return ""


# Under 27 days (less than any month, with a day to spare for a DST change) `timesince`
# counts no months, so its text depends on the whole minutes alone: it is worked out
# (and escaped) once per minute count and language (its translated units cost most of
# its time).
_BY_MINUTES = timedelta(days=27)
_ANCHOR = datetime(2000, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=4096)
def _since_minutes(minutes: int, language: str | None) -> str:
    return escape(timesince(_ANCHOR, _ANCHOR + timedelta(minutes=minutes)))


def _text(value) -> str:
    return escape(str(value))


def _cell(value: str | None) -> str:
    """A text cell's content: the value escaped, or the empty cell's dash."""
    return escape(value) if value else NONE


@lru_cache(maxsize=16)
def _status(status: str) -> tuple[str, str]:
    """The status badge's class suffix and text (a handful of distinct values)."""
    return _text(str(status).lower()), _text(status)


def _pending(device: Device) -> str:
    if not device.pending_settings:
        return _NO_PENDING
    return "".join(
        _PENDING.format(
            title=_text(f"{s.name}: {s.value}" if s.value else s.name), name=_text(s.name)
        )
        for s in device.pending_settings
    )


def row_html(
    device: Device,
    organization: str,
    *,
    url: str,
    selectable: bool,
    now: datetime,
    zone: tzinfo,
    language: str | None,
) -> SafeString:
    """One row; `organization` and `url` escaped already; `zone` and `language` the
    current (display) zone and the active language."""
    d = device
    changed, seen = d.status_change, d.last_connection
    status_class, status = _status(d.status)
    name = d.name
    html = _ROW.format(
        id=d.id,
        url=url,
        select=_SELECT.format(id=d.id, name=escape(name)) if selectable else "",
        status_class=status_class,
        status=status,
        since=_SINCE.format(title=stamp(changed, zone), text=since(changed, now, language))
        if changed
        else "",
        title=escape(name) if name else "(no name)",
        serial=_cell(d.serial_number),
        customer=_cell(d.customer_id),
        organization=organization or NONE,
        type=_cell(d.type_short_name or (None if d.type is None else str(d.type))),
        location=_cell(d.location_name),
        software=_cell(d.software_version),
        address=_cell(d.address),
        seen_title=stamp(seen, zone),
        seen=f"{since(seen, now, language)} ago" if seen else "never",
        pending=_pending(d),
    )
    return mark_safe(html)  # noqa: S308 -- every value above is escaped


def fleet_rows(
    devices: Iterable[Device], names: dict[int, str], *, selectable: bool, now: datetime
) -> list[dict]:
    """Per device, in order: {"device": the record, "html": its table row}.
    `names`: organization id -> name; `selectable`: a tick box for bulk actions."""
    head, tail = (
        escape(part) for part in reverse("devices:detail", args=[int(_MARK)]).split(_MARK)
    )
    # Looked up once per page, not per row: each is a context-local read.
    zone, language = get_current_timezone(), get_language()
    escaped_names = {org: escape(name) for org, name in names.items()}
    return [
        {
            "device": d,
            "html": row_html(
                d,
                escaped_names.get(d.organization_id, ""),
                url=f"{head}{d.id}{tail}",
                selectable=selectable,
                now=now,
                zone=zone,
                language=language,
            ),
        }
        for d in devices
    ]


def table_body(rows: list[dict]) -> SafeString:
    """The rows of `fleet_rows` in one string: the template prints it once, not once per row."""
    return mark_safe("".join(row["html"] for row in rows))  # noqa: S308 -- each row is safe


_OPTION = '<option value="{value}"{selected}>{label}</option>'


def select_options(choices: Iterable[tuple[object, object]], selected) -> SafeString:
    """A select's `<option>`s for (value, label) pairs, the one equal to `selected` marked:
    the filter form's markup of before, without a template loop and the number
    localization of every id (several per option, most of the form's cost)."""
    html = "".join(
        _OPTION.format(
            value=_text(value),
            selected=" selected" if value == selected else "",
            label=_text(label),
        )
        for value, label in choices
    )
    return mark_safe(html)  # noqa: S308 -- every value above is escaped
