"""A scheduled (headless) operation's upstream status in words and a badge tone, for the
scheduled operations page and the device timeline alike.

ASSUMPTION: docs/CONTROL_API.md names "scheduled" and "completed"; "pending",
"in_progress", "failed" and "cancelled" are the other codes an upstream of this kind uses.
A code not listed here is shown as the upstream wrote it, with the unknown tone.
"""

from __future__ import annotations

STATUSES = {
    "scheduled": ("Scheduled", "pending"),
    "pending": ("Pending", "pending"),
    "in_progress": ("In progress", "pending"),
    "completed": ("Completed", "ok"),
    "failed": ("Failed", "failed"),
    "cancelled": ("Cancelled", "unknown"),
}


def status_words(code: str) -> tuple[str, str]:
    """(words, tone) of a status code; ("", "") when there is none yet."""
    if not code:
        return "", ""
    return STATUSES.get(code, (code, "unknown"))
