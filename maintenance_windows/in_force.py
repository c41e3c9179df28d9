"""Which windows are in force now, and whether a device is in one of them.

Windows are few (tens), devices many: callers read the windows once per page or per
poll (`windows_in_force`) and test each device against that list (`window_for`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db.models import Q

from maintenance_windows.models import MaintenanceWindow


def windows_in_force(
    now: datetime, organization_ids: Iterable[int] | None = None
) -> list[MaintenanceWindow]:
    """The windows with an occurrence in force at `now`, optionally of some organizations
    only (None: every organization)."""
    rows = (
        MaintenanceWindow.objects.filter(starts_at__lte=now)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
    )
    if organization_ids is not None:
        rows = rows.filter(organization_id__in=list(organization_ids))
    return [w for w in rows if w.is_active(now)]


def window_for(device: Any, windows: Sequence[MaintenanceWindow]) -> MaintenanceWindow | None:
    """The first of `windows` that covers `device`, or None."""
    for window in windows:
        if window.selector.matches(device):
            return window
    return None


def in_maintenance_ids(devices: Iterable[Any], now: datetime) -> set[int]:
    """The ids of those of `devices` that a window in force at `now` covers."""
    windows = windows_in_force(now)
    if not windows:
        return set()
    return {d.id for d in devices if window_for(d, windows) is not None}
