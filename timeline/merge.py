"""The one place the timeline's sources meet: each asked for its newest entries before the
page's cursor, merged newest first, cut to a page, with the cursor of the next (older) one.

A page is cut at a moment: the next one asks every source for entries strictly older than
the page's last. ASSUMPTION: two entries of one device in the same microsecond are rare
enough that one of them falling between two pages is acceptable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import DatabaseError

from timeline import sources
from timeline.entries import KINDS, Entry

log = logging.getLogger(__name__)

PAGE_SIZE = 25


@dataclass
class Timeline:
    entries: list[Entry]
    older: datetime | None  # the next page's cursor; None: nothing older
    missing: list[str] = field(default_factory=list)  # what could not be read, in words


def device_timeline(
    *, device, user, scope, kinds: list[str], before: datetime | None, now: datetime,
    limit: int = PAGE_SIZE,
) -> Timeline:  # fmt: skip
    """`kinds`: the sources asked (every one when empty)."""
    reading = sources.Reading(device=device, user=user, scope=scope, before=before,
                              limit=limit + 1, now=now)  # fmt: skip
    found: list[Entry] = []
    missing = []
    for kind in kinds or list(KINDS):
        try:
            found += sources.SOURCES[kind](reading)
        except DatabaseError as error:
            log.warning("timeline source %s of device %s unreadable: %s", kind, device.id, error)
            missing.append(f"{KINDS[kind]} could not be read from the database.")
    found.sort(key=lambda e: e.at, reverse=True)
    page = found[:limit]
    older = page[-1].at if len(found) > limit else None
    return Timeline(entries=page, older=older, missing=missing)
