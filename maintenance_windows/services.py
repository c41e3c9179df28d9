"""Making and ending maintenance windows, and the record windows that follow a device's
maintenance record. Every change is audit-logged here, whoever asks (a page, the command
line, a saved maintenance record).

`problems` checks a window's description in words (shared by the page's form and the
command); whether its device ids belong to its organization needs the read model, which
the pages' layer checks (operations.windows).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction

from accounts import audit
from fleet.device_selector import DeviceSelector
from maintenance_windows.models import MaintenanceWindow

CREATE = "maintenance_window_create"
END = "maintenance_window_end"
CANCEL = "maintenance_window_cancel"  # ended before it was first in force: it never ran
RECORD_OPEN = "maintenance_window_record_open"
RECORD_CLOSE = "maintenance_window_record_close"
RECORD_REASON = "maintenance record"
MAX_DEVICE_IDS = 500
MAX_REASON = 300
# A daily occurrence longer than a day would overlap the next one; a weekly one longer than a
# week, the next week's (and one longer than the gap between two weekdays chosen, the next
# weekday's: overlap_words).
MAX_MINUTES = {"daily": 24 * 60, "weekly": 7 * 24 * 60}
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class WindowSpec:
    """What a new window is to be, as a form or the command line read it."""

    organization_id: int
    reason: str
    starts_at: datetime
    ends_at: datetime | None = None
    recurrence: str = MaintenanceWindow.Recurrence.ONCE
    weekdays: tuple[int, ...] = ()
    local_start: time | None = None
    duration_minutes: int | None = None
    time_zone: str = "UTC"
    type_id: int | None = None
    pattern: str = ""
    device_ids: tuple[int, ...] = field(default_factory=tuple)


def zone_exists(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return bool(name)


def problems(spec: WindowSpec, now: datetime) -> dict[str, list[str]]:
    """What is wrong with `spec`, in words, by the name of the part that is wrong (the
    form's field names); empty when nothing is."""
    found: dict[str, list[str]] = {}

    def say(name: str, text: str) -> None:
        found.setdefault(name, []).append(text)

    if not spec.reason.strip():
        say("reason", "Say why: the reason is shown to everyone who sees the window.")
    elif len(spec.reason) > MAX_REASON:
        say("reason", f"The reason must be at most {MAX_REASON} characters.")
    if not zone_exists(spec.time_zone):
        say(
            "time_zone",
            f"“{spec.time_zone}” is not a time zone (write an IANA name such as Europe/Madrid).",
        )
    if len(spec.device_ids) > MAX_DEVICE_IDS:
        say(
            "device_ids",
            f"At most {MAX_DEVICE_IDS} devices per window; for more, use a type, a pattern "
            "or the organization.",
        )
    if len(spec.pattern) > 100:
        say("pattern", "The pattern must be at most 100 characters.")
    if spec.recurrence == MaintenanceWindow.Recurrence.ONCE:
        if spec.ends_at is None:
            say("ends_at", "Give the end: a one-off window needs one.")
        elif spec.ends_at <= spec.starts_at:
            say("ends_at", "The end must be after the start.")
        elif spec.ends_at <= now:
            say("ends_at", "The end is already past: the window would never be in force.")
        return found
    if spec.recurrence not in MAX_MINUTES:
        say("recurrence", "Choose once, every day or every week.")
        return found
    if spec.recurrence == MaintenanceWindow.Recurrence.WEEKLY:
        if not spec.weekdays:
            say("weekdays", "Choose at least one weekday for a weekly window.")
        elif any(not 0 <= d <= 6 for d in spec.weekdays):
            say("weekdays", "Weekdays are Monday to Sunday.")
    if spec.local_start is None:
        say("local_start", "Give the local time at which each occurrence starts.")
    if spec.duration_minutes is None or spec.duration_minutes <= 0:
        say("duration_minutes", "The duration must be at least one minute.")
    elif (overlap := overlap_words(spec)) is not None:
        say("duration_minutes", overlap)
    if spec.ends_at is not None:
        if spec.ends_at <= spec.starts_at:
            say("ends_at", "“Until” must be after “from”.")
        elif spec.ends_at <= now:
            say("ends_at", "“Until” is already past: the window would never be in force.")
    return found


def overlap_words(spec: WindowSpec) -> str | None:
    """Why `spec`'s occurrences would overlap, in words, or None when they would not: a
    daily occurrence may last at most a day; a weekly one at most the shortest gap between
    two consecutive weekdays chosen (a week for one weekday).

    ASSUMPTION: gaps are counted in wall-clock hours of the window's zone (24 h a day), as
    its local start time repeats; on a night the clocks go forward an occurrence of the
    whole gap overlaps the next one by that hour."""
    minutes = spec.duration_minutes or 0
    if spec.recurrence == MaintenanceWindow.Recurrence.DAILY:
        longest = MAX_MINUTES["daily"]
        if minutes <= longest:
            return None
        return (
            f"Occurrences every day are 24 hours apart: a window of {duration_words(minutes)} "
            f"would overlap the next one. At most 24 h ({longest} minutes)."
        )
    days = sorted({d for d in spec.weekdays if 0 <= d <= 6})
    if not days:  # the weekdays are said wrong apart; a week is the most in any case
        longest = MAX_MINUTES["weekly"]
        if minutes <= longest:
            return None
        return (
            f"Occurrences every week are at most 168 hours apart: a window of "
            f"{duration_words(minutes)} would overlap the next one. At most 168 h "
            f"({longest} minutes)."
        )
    # Each chosen weekday and the next one chosen (the first again, a week on, after the last).
    gaps = [(days[(i + 1) % len(days)] - day) % 7 or 7 for i, day in enumerate(days)]
    gap = min(gaps)
    longest = gap * 24 * 60
    if minutes <= longest:
        return None
    at = gaps.index(gap)
    first, then = WEEKDAY_NAMES[days[at]], WEEKDAY_NAMES[days[(at + 1) % len(days)]]
    pair = f"{first} and {then}" if len(days) > 1 else f"{first} and the next {then}"
    return (
        f"{pair} are {gap * 24} hours apart: a window of {duration_words(minutes)} would "
        f"overlap the next one. At most {duration_words(longest)} ({longest} minutes)."
    )


def _audit_parameters(window: MaintenanceWindow) -> dict:
    when = {
        "starts_at": window.starts_at.isoformat(),
        "ends_at": window.ends_at.isoformat() if window.ends_at else None,
        "recurrence": window.recurrence,
    }
    if window.recurrence != MaintenanceWindow.Recurrence.ONCE:
        when |= {
            "weekdays": list(window.weekdays or []),
            "local_start": window.local_start.strftime("%H:%M") if window.local_start else None,
            "duration_minutes": window.duration_minutes,
            "time_zone": window.time_zone,
        }
    return {
        "window": window.pk,
        "covers": window.selector.describe(),
        "reason": window.reason,
        **when,
    }


def _record(action: str, window: MaintenanceWindow, *, user, actor: str) -> None:
    ids = window.device_ids or []
    audit.record_action(
        user=user,
        username=actor,
        action=action,
        result=audit.OK,
        organization_id=window.organization_id,
        device_id=ids[0] if len(ids) == 1 else None,
        parameters=_audit_parameters(window),
    )


def _who(user, actor: str) -> str:
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return user.get_username() if authenticated else actor


class KeptAlready(Exception):
    """A planned window not ended keeps exactly this (`window`): nothing new is kept."""

    def __init__(self, window: MaintenanceWindow):
        super().__init__(f"Maintenance window {window.pk} keeps exactly this already.")
        self.window = window


def _columns(spec: WindowSpec) -> dict:
    """The planned window's columns that `spec` sets."""
    recurring = spec.recurrence != MaintenanceWindow.Recurrence.ONCE
    return {
        "organization_id": spec.organization_id,
        "type_id": spec.type_id,
        "pattern": spec.pattern.strip(),
        "device_ids": sorted(set(spec.device_ids)),
        "reason": spec.reason.strip(),
        "starts_at": spec.starts_at,
        "ends_at": spec.ends_at,
        "recurrence": spec.recurrence,
        "weekdays": sorted(set(spec.weekdays)) if spec.recurrence == "weekly" else [],
        "local_start": spec.local_start if recurring else None,
        "duration_minutes": spec.duration_minutes if recurring else None,
        "time_zone": spec.time_zone,
    }


def same_window(spec: WindowSpec) -> MaintenanceWindow | None:
    """The planned window not ended that keeps exactly `spec`, or None: what the same form
    sent again would make a second time (ending one early would leave the other muting)."""
    columns = _columns(spec)
    lists = {name: columns.pop(name) for name in ("device_ids", "weekdays")}
    alike = MaintenanceWindow.objects.filter(
        source=MaintenanceWindow.Source.WINDOW, ended_at__isnull=True, **columns
    )
    return next(
        (w for w in alike if all(getattr(w, name) == value for name, value in lists.items())),
        None,
    )


def create_window(
    spec: WindowSpec, *, user=None, actor: str = "", kept_at: datetime | None = None
) -> MaintenanceWindow:
    """Keep a planned window (checked by `problems` first) and audit it; KeptAlready when one
    not ended keeps exactly this. `actor` names who asked when there is no user (the command
    line). `kept_at`: the moment the caller took for "now" (a start of "now" is then not
    already past when kept)."""
    if (kept := same_window(spec)) is not None:
        raise KeptAlready(kept)
    with transaction.atomic():
        window = MaintenanceWindow.objects.create(
            **_columns(spec),
            owner=user if user is not None and user.is_authenticated else None,
            owner_name=_who(user, actor),
            source=MaintenanceWindow.Source.WINDOW,
            **({"created_at": kept_at} if kept_at is not None else {}),
        )
        _record(CREATE, window, user=user, actor=actor)
    return window


class FollowsRecord(Exception):
    """A record window ends with its device's maintenance record, not by hand: ended alone it
    would leave the record saying "maintenance" while the device is no longer in maintenance."""

    def __init__(self, window: MaintenanceWindow):
        super().__init__(
            f"Maintenance window {window.pk} follows the maintenance record of device "
            f"{window.record_device_id}: it ends when the record is saved with another status "
            "(or the device leaves the fleet)."
        )
        self.window = window


def end_window(window: MaintenanceWindow, *, now: datetime, user=None, actor: str = "") -> bool:
    """End a planned window now, for good (audited as cancelled when it had not started);
    False (nothing done) when it was over already. FollowsRecord for a record window."""
    if window.source == MaintenanceWindow.Source.RECORD:
        raise FollowsRecord(window)
    with transaction.atomic():
        window = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
        if state(window, now) == ENDED:
            return False
        action = CANCEL if not_started(window, now) else END
        window.ended_at = now
        window.ended_by = _who(user, actor)
        window.save(update_fields=["ended_at", "ended_by"])
        _record(action, window, user=user, actor=actor)
    return True


def sync_record_window(
    *, device_id: int, organization_id: int, status: str, notes: str, user, now: datetime
) -> MaintenanceWindow | None:
    """Follow a saved maintenance record: an open record window for the device while its
    operational status is "maintenance", none otherwise. The open window returned, if any."""
    open_ones = _open_records().filter(record_device_id=device_id)
    if status != "maintenance":
        _close(open_ones, now=now, user=user, actor="")
        return None
    reason = (notes or "").strip()[:MAX_REASON] or RECORD_REASON
    kept = open_ones.first()
    if kept is not None:
        if kept.reason != reason:  # the notes changed: the window says the new ones
            kept.reason = reason
            kept.save(update_fields=["reason"])
        return kept
    try:
        with transaction.atomic():
            window = MaintenanceWindow.objects.create(
                organization_id=organization_id,
                device_ids=[device_id],
                record_device_id=device_id,
                reason=reason,
                owner=user if user is not None and user.is_authenticated else None,
                owner_name=_who(user, ""),
                source=MaintenanceWindow.Source.RECORD,
                starts_at=now,
            )
            _record(RECORD_OPEN, window, user=user, actor="")
    except IntegrityError:
        # A save of the same device at the same moment opened it first.
        return open_ones.first()
    return window


def close_record_window(*, device_id: int, now: datetime, user=None, actor: str = "") -> int:
    """End the device's open record window, if any (the device was deleted or left the
    fleet: its record can no longer be saved). How many were ended."""
    return _close(_open_records().filter(record_device_id=device_id), now=now, user=user,
                  actor=actor)  # fmt: skip


def close_record_windows_gone(present, *, now: datetime) -> int:
    """After a full poll: end the open record windows whose device is not among `present`
    (a callable from device ids to the set of those the snapshot holds)."""
    windows = list(_open_records())
    if not windows:
        return 0
    kept = present({w.record_device_id for w in windows})
    gone = [w for w in windows if w.record_device_id not in kept]
    return _close(gone, now=now, user=None, actor=LEFT_THE_FLEET)


LEFT_THE_FLEET = "this dashboard: the device left the fleet"


def _open_records():
    return MaintenanceWindow.objects.filter(
        source=MaintenanceWindow.Source.RECORD, ended_at__isnull=True
    )


def _close(windows, *, now: datetime, user, actor: str) -> int:
    ended = 0
    for window in windows:
        window.ended_at, window.ended_by = now, _who(user, actor)
        window.save(update_fields=["ended_at", "ended_by"])
        _record(RECORD_CLOSE, window, user=user, actor=actor)
        ended += 1
    return ended


# --- states and words -----------------------------------------------------------

IN_FORCE, UPCOMING, ENDED = "in force", "upcoming", "ended"


def cancelled(window: MaintenanceWindow) -> bool:
    """Ended by hand before it was first in force (one-off or recurring): it never ran."""
    if window.ended_at is None:
        return False
    first = window.first_start()
    return first is None or window.ended_at <= first


def not_started(window: MaintenanceWindow, now: datetime) -> bool:
    """Not ended, and not yet in force at all (no occurrence has begun since it counts):
    ending it now cancels it."""
    if window.ended_at is not None:
        return False
    first = window.first_start()
    return first is not None and now < first


def state(window: MaintenanceWindow, now: datetime) -> str:
    if window.is_active(now):
        return IN_FORCE
    return UPCOMING if window.next_start(now) is not None else ENDED


def current_or_next(window: MaintenanceWindow, now: datetime):
    """(start, end) of the occurrence in force now, else of the next one, else of the
    last one that ran (best known: for a recurring window, its last start before now);
    the end None when open."""
    occurrence = window.occurrence_at(now)
    if occurrence is not None:
        return occurrence
    start = window.next_start(now)
    if start is not None:
        return start, _occurrence_end(window, start)
    return window.starts_at, window._cut(window.ends_at)


def _occurrence_end(window: MaintenanceWindow, start: datetime) -> datetime | None:
    if window.recurrence == MaintenanceWindow.Recurrence.ONCE:
        return window._cut(window.ends_at)
    return window._cut(start + timedelta(minutes=window.duration_minutes or 0))


def recurrence_words(window: MaintenanceWindow) -> str:
    """ "Once", or "every Monday and Wednesday at 23:00 America/Bogota for 2 h"."""
    if window.recurrence == MaintenanceWindow.Recurrence.ONCE:
        return "Once"
    at = window.local_start.strftime("%H:%M") if window.local_start else "00:00"
    if window.recurrence == MaintenanceWindow.Recurrence.DAILY:
        days = "every day"
    else:
        names = [WEEKDAY_NAMES[d] for d in sorted(window.weekdays or []) if 0 <= d <= 6]
        days = "every " + (
            ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)
        )
    lasting = duration_words(window.duration_minutes or 0)
    return f"{days[0].upper()}{days[1:]} at {at} {window.time_zone} for {lasting}"


def duration_words(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def covers_words(window: MaintenanceWindow, *, organization: str, type_name: str = "") -> str:
    """What the window covers, in words, naming the organization and the type."""
    parts = []
    if window.type_id is not None:
        parts.append(f"devices of type {type_name or window.type_id}")
    rest = DeviceSelector(pattern=window.pattern, device_ids=window.selector.device_ids)
    if rest.device_ids or rest.pattern:
        parts.append(rest.describe())
    if not parts:
        return f"every device of {organization}"
    return f"{', '.join(parts)} of {organization}"
