"""One line of a device's timeline, whatever its source, and the kinds it can be filtered by."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# The filter's kinds, in the order the page offers them: name -> the words on the page.
KINDS = {
    "status": "Status",
    "actions": "Actions",
    "edits": "Edits",
    "maintenance": "Maintenance",
    "scheduled": "Scheduled",
    "notifications": "Notifications",
    "firmware": "Firmware",
    "notes": "Notes",
    "claims": "Claims",
}


@dataclass
class Entry:
    """`at`: when it happened (the sort key); `title` and `detail`: what, in words; `who`:
    the person ("" for the dashboard itself); `outcome` and `tone` (ok, failed, unknown,
    pending or ""): how it ended; `changes`: an edit's fields (devices.field_changes);
    `note`: a note's row, for its buttons; `link_text` and `link`: what the entry belongs to
    and its page ("" when the viewer may not open it); `when`: words shown instead of the
    time when the moment is not known (`at` then only places the entry)."""

    kind: str
    at: datetime
    title: str
    detail: str = ""
    who: str = ""
    outcome: str = ""
    tone: str = ""
    changes: list[dict] = field(default_factory=list)
    note: Any = None
    key: str = ""  # unique within the timeline: the source's row id
    link_text: str = ""
    link: str = ""
    when: str = ""


def duration_words(span: timedelta) -> str:
    """ "2 days 3 h", "4 h 12 min", "3 min 5 s", "42 s": two units at most."""
    seconds = max(int(span.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    if minutes:
        return f"{minutes} min" + (f" {secs} s" if secs else "")
    return f"{secs} s"
