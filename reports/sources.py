"""What a report reads: the polls' times, the status changes and the maintenance windows
from PostgreSQL (the durable history is the source, never Redis), and which devices an
organization has and what they are from the fleet cache when it answers.

Each source is read with one query over its index: the fleet's count points by time
(`count_point_at`), the status changes by (organization, time) or (device, time), each
device's last one before the range by (organization, device, time), the windows by
organization. Work is bounded by MAX_CHANGES status changes a report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import redis
from django.db import connection
from django.db.models import Q

from devices import configured, list_selectors
from devices.history_models import CountPoint, StatusChange
from fleet.store.queries import DeviceQuery
from maintenance_windows.models import MaintenanceWindow
from reports.availability import Change, Span

log = logging.getLogger(__name__)

# A report reads at most this many status changes (a busy organization's month is far
# fewer); past it the page asks for a shorter range rather than reading on.
MAX_CHANGES = 200_000


class TooMuchHistory(Exception):
    """The range holds more status changes than one report reads."""


# What a report past its bound says (the page's bound, or a prepared report's).
TOO_MUCH = (
    "This range holds more than {limit:,} status changes, more than one report reads: "
    "choose a shorter range or one device."
)


def poll_times(*, start: datetime, end: datetime) -> list[datetime]:
    """Every fleet poll's start in [start, end], and the last one before and the first one
    after, so the spans at the edges are judged too (the fleet's count point, one a poll)."""
    fleet = CountPoint.objects.filter(organization_id__isnull=True)
    inside = list(
        fleet.filter(at__gte=start, at__lte=end).order_by("at").values_list("at", flat=True)
    )
    before = fleet.filter(at__lt=start).order_by("-at").values_list("at", flat=True).first()
    after = fleet.filter(at__gt=end).order_by("at").values_list("at", flat=True).first()
    return [*([before] if before else []), *inside, *([after] if after else [])]


def history_starts() -> datetime | None:
    """When the durable history starts: its first poll (None: nothing kept yet)."""
    return CountPoint.objects.order_by("at").values_list("at", flat=True).first()


def status_changes(
    *,
    start: datetime,
    end: datetime,
    organization_id: int,
    device_id: int | None = None,
    max_changes: int | None = None,
) -> tuple[dict[int, list[Change]], dict[int, int | None]]:
    """Per device (or only `device_id`): its changes recorded in `organization_id` in
    [start, end) and the last one before `start`, oldest first; and each device's
    organization (TooMuchHistory past `max_changes`, else MAX_CHANGES, in the range). ASSUMPTION
    (docs/ARCHITECTURE.md, "Uptime reports"): a device that moved is reported by each
    organization with the changes recorded while it was theirs only."""
    max_changes = MAX_CHANGES if max_changes is None else max_changes
    rows = StatusChange.objects.filter(organization_id=organization_id)
    if device_id is not None:
        rows = rows.filter(device_id=device_id)
    fields = ("device_id", "organization_id", "at", "from_status", "to_status")
    inside = list(
        rows.filter(at__gte=start, at__lt=end)
        .order_by("at", "id")
        .values_list(*fields)[: max_changes + 1]
    )
    if len(inside) > max_changes:
        raise TooMuchHistory
    earlier = rows.filter(at__lt=start)
    if connection.vendor == "postgresql" and device_id is None:
        last_before = _last_before_per_device(organization_id, start)
    elif connection.vendor == "postgresql":
        last_before = list(earlier.order_by("-at", "-id").values_list(*fields)[:1])
    else:
        newest: dict[int, tuple] = {}
        for row in earlier.order_by("at", "id").values_list(*fields):
            newest[row[0]] = row
        last_before = list(newest.values())
    changes: dict[int, list[Change]] = {}
    organizations: dict[int, int | None] = {}
    for device, organization, at, before, after in [*last_before, *inside]:
        changes.setdefault(device, []).append(Change(at, before, after))
        organizations[device] = organization
    return changes, organizations


# The newest change before `start` of each device of the organization: a skip scan of the
# index (organization, device, time) that descends once per device, from one device to the
# next, instead of reading every earlier change (a year of them) to keep one per device.
_LAST_BEFORE = """
WITH RECURSIVE last_before AS (
    (SELECT device_id, organization_id, at, from_status, to_status FROM {table}
     WHERE organization_id = %(organization)s AND at < %(start)s
     ORDER BY device_id, at DESC, id DESC LIMIT 1)
    UNION ALL
    SELECT following.* FROM last_before CROSS JOIN LATERAL (
        SELECT device_id, organization_id, at, from_status, to_status FROM {table}
        WHERE organization_id = %(organization)s AND at < %(start)s
          AND device_id > last_before.device_id
        ORDER BY device_id, at DESC, id DESC LIMIT 1
    ) AS following
)
SELECT device_id, organization_id, at, from_status, to_status FROM last_before
"""


def _last_before_per_device(organization_id: int, start: datetime) -> list[tuple]:
    query = _LAST_BEFORE.format(table=connection.ops.quote_name(StatusChange._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(query, {"organization": organization_id, "start": start})
        return cursor.fetchall()


def organization_in_history(device_id: int) -> int | None:
    """The organization of the device's newest status change (None: no change kept)."""
    return (
        StatusChange.objects.filter(device_id=device_id)
        .order_by("-at", "-id")
        .values_list("organization_id", flat=True)
        .first()
    )


def windows_of(*, organization_id: int, start: datetime, end: datetime) -> list[MaintenanceWindow]:
    """The organization's windows that may have run in [start, end)."""
    return list(
        MaintenanceWindow.objects.filter(organization_id=organization_id, starts_at__lt=end)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=start))
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
    )


def occurrences(
    window: MaintenanceWindow, *, start: datetime, end: datetime, now: datetime
) -> list[Span]:
    """The window's occurrences that overlap [start, end) before now, cut to it and to now
    (as observed time stops at now, one still running has left out only its time so far;
    one not begun, nothing) and to when the window counts from (`counts_from`: a window
    kept after its start, or its "from", leaves out nothing observed before it existed)."""
    start, limit = max(start, window.counts_from), min(end, now)
    if start >= limit:
        return []
    found: list[Span] = []
    current = window.occurrence_at(start)
    if current is not None:
        found.append(Span(current[0], current[1] or limit))
    after = start
    # A daily window over a 400-day range: some 400 occurrences.
    while (begins := window.next_start(after)) is not None and begins < limit:
        occurrence = window.occurrence_at(begins)
        if occurrence is not None:
            found.append(Span(occurrence[0], occurrence[1] or limit))
        after = begins
    return [
        Span(max(s.start, start), min(s.end, limit))
        for s in found
        if s.end > start and s.start < limit
    ]


@dataclass(frozen=True)
class FleetDevice:
    """A device as a window's selector tests it, when the fleet cache does not have it."""

    id: int
    organization_id: int | None
    type: int | None = None
    name: str = ""
    serial_number: str = ""
    status: str | None = None
    created: datetime | None = None


def cached_devices(*, organization_id: int | None = None, device_id: int | None = None):
    """The fleet cache's devices of an organization (or one device): a list, or None when
    the cache does not answer (the report then knows only devices that changed status)."""
    try:
        if device_id is not None:
            cached = configured.read_model().get_device(device_id)
            return [cached.device] if cached is not None else []
        return list_selectors.all_matching(frozenset({organization_id}), DeviceQuery())
    except redis.RedisError as error:
        log.warning("fleet cache unreachable for a report's devices: %s", error)
        return None
