"""The device list's rows and the filter form's options: each cell's text is worked out
here, the markup and its escaping come from the partials `fleet-rows` and
`select-options` of templates/devices/list.html.

The texts are those of the filters the cells would use: `since` (common.elapsed: "under a
minute", otherwise Django's `timesince`), `date:"Y-m-d H:i:s"` in the current (display)
time zone, `default:"—"`.
ASSUMPTION: a device's shown fields are strings or whole numbers, printed as the
template engine prints them (no thousands separator: USE_THOUSAND_SEPARATOR is off).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import NamedTuple

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.timezone import get_current_timezone
from django.utils.translation import get_language

from common.device_names import shown_name
from common.elapsed import UNDER_A_MINUTE
from controlapi.records import Device
from devices import pending_words
from devices.list_filters import COLUMN_KEYS
from maintenance_windows.in_force import window_for
from maintenance_windows.models import MaintenanceWindow

NONE = "—"  # an empty cell
# A device id no device has: its digits mark where the id goes in the detail URL,
# which is reversed once per page, not once per row.
_MARK = "987654321987654321"
_TEMPLATE = "devices/list.html"


class RowView(NamedTuple):
    """What one row shows, as text (the template escapes it); a tuple, so that equal rows
    find the markup kept for them (`_rendered`)."""

    id: str
    url: str
    title: str  # the link's text and the tick box's label
    status_class: str
    status: str
    changed: str  # when the status changed ("" unknown), the `since` text's title
    since: str
    serial: str
    customer: str
    organization: str
    type: str
    location: str
    software: str
    address: str
    seen_title: str
    seen: str
    pending: tuple[tuple[str, str], ...]  # (title, name) per pending setting
    maintenance: str = ""  # the window in force over it, in words ("" none)
    maintenance_url: str = ""  # that window's page
    warning: str = ""  # its pinned note, in words ("" none: devices.notes)


def stamp(moment: datetime | None, zone: tzinfo) -> str:
    """The `date:"Y-m-d H:i:s"` filter's text: the moment in `zone`, the current (display)
    zone."""
    if moment is None:
        return ""
    # The filter shows a naive time as it is.
    local = moment if moment.tzinfo is None else moment.astimezone(zone)
    # Formatting the fields directly is cheaper than strftime, with the same digits.
    return "%04d-%02d-%02d %02d:%02d:%02d" % (  # noqa: UP031 (see above)
        local.year, local.month, local.day, local.hour, local.minute, local.second
    )  # fmt: skip


def since(moment: datetime, now: datetime, language: str | None) -> str:
    """The `since` filter's text (common.elapsed; "" where the filter gives "");
    `language`: the active one."""
    try:
        # As `timesince` counts: on the wall clock of the moment's zone.
        delta = now.astimezone(moment.tzinfo) - moment
        if delta < timedelta(minutes=1):
            return UNDER_A_MINUTE
        if delta < _BY_MINUTES:
            minutes = delta // timedelta(minutes=1)
            return _since_minutes(minutes, language)
        return timesince(moment, now)
    except (ValueError, TypeError):
        return ""


# Under 27 days (less than any month, with a day to spare for a DST change) `timesince`
# counts no months, so its text depends on the whole minutes alone: it is worked out
# once per minute count and language, as its translated units cost most of its time.
_BY_MINUTES = timedelta(days=27)
_ANCHOR = datetime(2000, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=4096)
def _since_minutes(minutes: int, language: str | None) -> str:
    return timesince(_ANCHOR, _ANCHOR + timedelta(minutes=minutes))


@lru_cache(maxsize=16)
def _status(status: str) -> tuple[str, str]:
    """The status badge's class suffix and text (a handful of distinct values)."""
    return str(status).lower(), str(status)


def _pending(device: Device) -> tuple[tuple[str, str], ...]:
    return tuple(
        (pending_words.in_words(s), pending_words.name_in_words(s.name))
        for s in device.pending_settings
    )


def row_view(
    device: Device, organization: str, *, url: str, now: datetime, zone: tzinfo, language
) -> RowView:
    """One row's texts; `zone` and `language`: the current (display) zone and the active
    language."""
    d = device
    changed, seen = d.status_change, d.last_connection
    status_class, status = _status(d.status)
    return RowView(
        id=str(d.id),
        url=url,
        title=shown_name(d.name),
        status_class=status_class,
        status=status,
        changed=stamp(changed, zone),
        since=since(changed, now, language) if changed else "",
        serial=d.serial_number or NONE,
        customer=d.customer_id or NONE,
        organization=organization or NONE,
        type=d.type_short_name or ("" if d.type is None else str(d.type)) or NONE,
        location=d.location_name or NONE,
        software=d.software_version or NONE,
        address=d.address or NONE,
        seen_title=stamp(seen, zone),
        seen=f"{since(seen, now, language)} ago" if seen else "never",
        pending=_pending(d),
    )


def fleet_rows(
    devices: Iterable[Device],
    names: dict[int, str],
    *,
    now: datetime,
    windows: Sequence[MaintenanceWindow] = (),
    warnings: Mapping[int, str] | None = None,
) -> list[dict]:
    """Per device, in order: {"device": the record, "view": its row's texts}.
    `names`: organization id -> name; `windows`: the maintenance windows in force (read
    once per page), each row's device tested against them; `warnings`: device id -> its
    pinned warning in words (read once per page)."""
    warnings = warnings or {}
    head, tail = reverse("devices:detail", args=[int(_MARK)]).split(_MARK)
    window_head, window_tail = reverse("operations:window", args=[int(_MARK)]).split(_MARK)
    # Looked up once per page, not per row: each is a context-local read.
    zone, language = get_current_timezone(), get_language()
    rows = []
    for d in devices:
        view = row_view(
            d, names.get(d.organization_id, ""), url=f"{head}{d.id}{tail}", now=now, zone=zone,
            language=language,
        )  # fmt: skip
        window = window_for(d, windows) if windows else None
        if window is not None:
            view = view._replace(
                maintenance=maintenance_words(window, now, zone),
                maintenance_url=f"{window_head}{window.pk}{window_tail}",
            )
        if d.id in warnings:
            view = view._replace(warning=warnings[d.id])
        rows.append({"device": d, "view": view})
    return rows


def maintenance_words(window: MaintenanceWindow, now: datetime, zone: tzinfo) -> str:
    """ "In maintenance until 2026-12-05 14:00:00: fibre works" (the display zone)."""
    occurrence = window.occurrence_at(now)
    end = occurrence[1] if occurrence else None
    until = f" until {stamp(end, zone)}" if end is not None else ""
    return f"In maintenance{until}: {window.reason}"


def table_body(
    rows: list[dict], *, selectable: bool, columns: tuple[str, ...] = COLUMN_KEYS
) -> SafeString:
    """The markup of `fleet_rows`' rows; `selectable`: a tick box for bulk actions;
    `columns`: the cells shown (list_filters.COLUMN_KEYS' words)."""
    views = tuple(row["view"] for row in rows)
    context = {"rows": views, "selectable": selectable, "columns": columns}
    return _rendered("fleet-rows", (views, selectable, columns), context)


def select_options(choices: Iterable[tuple[object, object]], selected) -> SafeString:
    """A select's `<option>`s for (value, label) pairs, the one equal to `selected` marked."""
    options = tuple((str(value), str(label), value == selected) for value, label in choices)
    return _rendered("select-options", options, {"options": options})


# The list is refreshed every 10 s in every open tab, mostly with rows that have not
# changed, and rendering 50-200 rows is most of the page's work: the markup of a partial
# is kept per the exact values it shows (a function of them alone), RENDERED_SIZE at
# most, the oldest going first.
RENDERED_SIZE = 64
_rendered_memo: dict[tuple, SafeString] = {}  # in the order they were rendered
_rendered_guard = threading.Lock()  # a worker's threads share it


def _rendered(partial: str, values: tuple, context: dict) -> SafeString:
    key = (partial, values)
    html = _rendered_memo.get(key)
    if html is None:
        html = render_to_string(f"{_TEMPLATE}#{partial}", context)
        with _rendered_guard:
            while len(_rendered_memo) >= RENDERED_SIZE:
                del _rendered_memo[next(iter(_rendered_memo))]
            _rendered_memo[key] = html
    return html
