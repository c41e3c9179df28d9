"""Maintenance windows for the pages and the command line: which windows a user sees, a
new window checked in full (its words, and its device ids against the read model), and
the rows a list shows.

The device ids are checked against the read model only: when it cannot be read (Redis
down, or not filled yet) the window is refused with that reason, never kept unchecked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.http import Http404

from accounts import tenancy
from accounts.models import Organization
from devices import device_ids, list_selectors
from maintenance_windows import services
from maintenance_windows.models import MaintenanceWindow

PAST_SHOWN = 50


class Refused(Exception):
    """A window that cannot be kept: `problems` by field name, in words."""

    def __init__(self, problems: dict[str, list[str]]):
        super().__init__("; ".join(t for texts in problems.values() for t in texts))
        self.problems = problems


def create(spec: services.WindowSpec, *, now: datetime, user=None, actor: str = ""):
    """Check `spec` in full and keep it (audited); Refused with the problems otherwise.
    The caller has checked that the user may do maintenance in its organization."""
    problems = services.problems(spec, now)
    if "device_ids" not in problems:
        said = device_ids.problem(spec.organization_id, spec.device_ids)
        if said:
            problems["device_ids"] = [said]
    if problems:
        raise Refused(problems)
    return services.create_window(spec, user=user, actor=actor, kept_at=now)


def visible(scope: tenancy.OrgScope):
    """The windows of the organizations `scope` allows."""
    rows = MaintenanceWindow.objects.all()
    return rows if scope.all else rows.filter(organization_id__in=scope.ids)


def window_for_user(user, window_id: int, action: str = tenancy.VIEW) -> MaintenanceWindow:
    """The window, if the user may do `action` in its organization; Http404 otherwise
    (and for an unknown id alike)."""
    window = MaintenanceWindow.objects.filter(pk=window_id).first()
    if window is None:
        raise Http404("No such maintenance window.")
    tenancy.ensure_allowed(user, action, window.organization_id)
    return window


def organization_names(org_ids: Iterable[int]) -> dict[int, str]:
    return list_selectors.organization_names(org_ids)


def type_names(org_ids: frozenset[int] | None) -> dict[int, str]:
    """Type id -> short name, as the read model knows them ({} when it cannot be read)."""
    return list_selectors.device_types(org_ids=org_ids)


def listed(scope: tenancy.OrgScope, *, now: datetime, user) -> dict[str, list[dict]]:
    """The windows `scope` shows, as rows, in three lists: in force now, upcoming (soonest
    first), past (the last PAST_SHOWN, most recently ended first)."""
    rows = visible(scope)
    live = list(rows.exclude(ended_at__lte=now).exclude(ends_at__lte=now))
    over = list(rows.filter(ended_at__lte=now).order_by("-ended_at", "-id")[:PAST_SHOWN])
    over += list(
        rows.filter(ended_at__isnull=True, ends_at__lte=now).order_by("-ends_at", "-id")[
            :PAST_SHOWN
        ]
    )
    windows = live + over
    names = organization_names(w.organization_id for w in windows)
    types = type_names(scope.org_ids_or_none()) if any(w.type_id for w in windows) else {}
    may_end = tenancy.scope_for(user, tenancy.MAINTENANCE)
    groups: dict[str, list[dict]] = {
        services.IN_FORCE: [],
        services.UPCOMING: [],
        services.ENDED: [],
    }
    for window in windows:
        row = row_for(window, now=now, names=names, types=types)
        may = may_end.allows(window.organization_id)
        row["can_end"] = may and endable(row)
        row["can_edit_record"] = may and row["follows_record"]
        groups[row["state"]].append(row)
    groups[services.UPCOMING].sort(key=lambda r: r["start"])
    groups[services.ENDED].sort(key=lambda r: r["end"] or r["start"], reverse=True)
    groups[services.ENDED] = groups[services.ENDED][:PAST_SHOWN]
    return groups


def _end_question(window: MaintenanceWindow, now: datetime) -> str:
    """What "End now" or "Cancel" asks first: ending a window cannot be undone, and its
    devices still Down are notified again after their rules' delay."""
    named = f"maintenance window {window.pk} ({window.reason})"
    if services.not_started(window, now):
        return f"Cancel {named}? It will not start."
    later = " Every later occurrence ends too." if window.recurrence != "once" else ""
    return f"End {named} now, for good?{later} Its devices still Down are notified again."


def endable(row: dict) -> bool:
    """A window that "End now" (or "Cancel") may end: not over, and not a record window."""
    return row["state"] != services.ENDED and not row["follows_record"]


def row_for(
    window: MaintenanceWindow, *, now: datetime, names: dict[int, str], types: dict[int, str]
) -> dict:
    """What a list or a window's page shows of one window."""
    start, end = services.current_or_next(window, now)
    if window.ended_at is not None and (end is None or window.ended_at < end):
        end = window.ended_at
    # Ended by hand before it was first in force (a one-off's start, a repeating window's
    # first occurrence): it never ran, and has no end to show; it shows when it would have
    # started.
    cancelled = services.cancelled(window)
    if cancelled:
        start = window.first_start() or window.starts_at
    organization = names.get(window.organization_id) or Organization.placeholder_name(
        window.organization_id
    )
    return {
        "window": window,
        "state": services.state(window, now),
        "organization": organization,
        "covers": services.covers_words(
            window, organization=organization, type_name=types.get(window.type_id or 0, "")
        ),
        "recurrence": services.recurrence_words(window),
        "start": start,
        "end": None if cancelled else end,
        "cancelled": cancelled,
        "not_started": services.not_started(window, now),
        "end_question": _end_question(window, now),
        # Ended by saving its device's maintenance record, not by hand (services.FollowsRecord).
        "follows_record": window.source == MaintenanceWindow.Source.RECORD
        and window.ended_at is None,
        # A start (or "from") before the window was kept: it counts only from then.
        "counts_from": window.counts_from if window.counts_from > window.starts_at else None,
        "zone": window.zone,
    }
