"""Which devices are in maintenance now, for the device pages and the overview: one
device's window, and how many of the Down devices of each organization are in one.

Windows are few and devices many: the windows in force are read once
(maintenance_windows.in_force) and the Down devices they cover are found through the
read model's own filters (organization, type, search), never by reading the fleet.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import redis

from controlapi.records import Device
from devices import configured, list_selectors
from fleet.device_selector import WILDCARDS
from fleet.store.queries import DeviceQuery
from maintenance_windows.in_force import window_for, windows_in_force
from maintenance_windows.models import MaintenanceWindow

log = logging.getLogger(__name__)

# The Down devices read per organization to count those a window covers; past it the
# count is a lower bound ("at least"). A storm Down is hundreds, not tens of thousands.
MAX_DOWN_READ = 5_000


@dataclass(frozen=True)
class DeviceWindow:
    window: MaintenanceWindow
    until: datetime | None  # the end of the occurrence in force; None: open


def window_of(device: Device, now: datetime) -> DeviceWindow | None:
    """The window in force that covers `device`, if any, and when it ends."""
    if device.organization_id is None:
        return None
    window = window_for(device, windows_in_force(now, [device.organization_id]))
    if window is None:
        return None
    occurrence = window.occurrence_at(now)
    return DeviceWindow(window, occurrence[1] if occurrence else None)


@dataclass
class DownInMaintenance:
    """Organization id -> how many of its Down devices a window in force covers; the
    organizations in `at_least` had more Down devices than were read, so theirs is a
    lower bound."""

    counts: dict[int, int] = field(default_factory=dict)
    at_least: set[int] = field(default_factory=set)


def _needle(pattern: str) -> str:
    """The search text a pattern's matches all contain: the pattern itself, or a wildcard
    pattern's longest literal part ("" when it has none: every device is a candidate)."""
    text = pattern.strip()
    if not WILDCARDS & set(text):
        return text
    return max(re.split(r"[*?]", text), key=len)


def down_in_maintenance(
    down: dict[int, int], windows: list[MaintenanceWindow]
) -> DownInMaintenance:
    """How many of the Down devices of each organization the `windows` (in force) cover.
    `down`: organization -> its Down count, as the page shows it. Raises redis.RedisError.

    A window over a whole organization covers all its Down devices (no read). Otherwise
    a window naming devices reads those devices; any other window's Down candidates are
    read with the read model's filters (Down, its
    organization and type, and for a pattern the search of its literal text, which
    matches more fields than the pattern does), checked against the window's selector,
    and the ids counted once per organization."""
    answer = DownInMaintenance()
    by_org: dict[int, list[MaintenanceWindow]] = defaultdict(list)
    for window in windows:
        if down.get(window.organization_id):
            by_org[window.organization_id].append(window)
    for org, its_windows in by_org.items():
        if any(_whole(w) for w in its_windows):
            answer.counts[org] = down[org]
            continue
        covered: set[int] = set()
        read = 0
        for window in its_windows:
            if window.device_ids:
                # A few named devices: read each rather than the organization's Down ones.
                covered |= _down_of(window)
                continue
            query = DeviceQuery(
                status=False, organization=org, type=window.type_id, search=_needle(window.pattern)
            )
            for device in list_selectors.iter_matching(frozenset({org}), query):
                read += 1
                if read > MAX_DOWN_READ:
                    answer.at_least.add(org)
                    break
                if window.selector.matches(device):
                    covered.add(device.id)
            if org in answer.at_least:
                break
        answer.counts[org] = len(covered)
    return answer


def _down_of(window: MaintenanceWindow) -> set[int]:
    """The ids of the window's named devices that are Down and that it covers."""
    model = configured.read_model()
    found = set()
    for device_id in window.device_ids:
        cached = model.get_device(int(device_id))
        if (
            cached is not None
            and not cached.device.is_up
            and window.selector.matches(cached.device)
        ):
            found.add(cached.device.id)
    return found


def _whole(window: MaintenanceWindow) -> bool:
    return window.type_id is None and not window.pattern and not window.device_ids


def down_in_maintenance_now(
    down: dict[int, int], org_ids, now: datetime
) -> DownInMaintenance | None:
    """`down_in_maintenance` of the windows in force now in `org_ids` (None: all); None
    when the read model cannot be read (the page then shows no split)."""
    windows = windows_in_force(now, org_ids)
    if not windows:
        return DownInMaintenance()
    try:
        return down_in_maintenance(down, windows)
    except redis.RedisError as error:
        log.warning("fleet cache unreachable, Down devices in maintenance not counted: %s", error)
        return None
