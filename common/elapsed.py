"""How long ago a moment was, in words: Django's `timesince`, except that under a minute
reads "under a minute" (its "0 minutes" reads as if nothing had happened yet)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils.timesince import timesince
from django.utils.timezone import is_aware

UNDER_A_MINUTE = "under a minute"
_MINUTE = timedelta(minutes=1)


def since(moment, now: datetime | None = None) -> str:
    """The `timesince` filter's text ("" where it gives ""), or "under a minute" for a
    datetime less than 60 seconds before `now` (a moment ahead of the clock included)."""
    if not moment:
        return ""
    try:
        if isinstance(moment, datetime):
            current = now or datetime.now(UTC if is_aware(moment) else None)
            if current - moment < _MINUTE:
                return UNDER_A_MINUTE
        return timesince(moment, now)
    except (ValueError, TypeError):
        return ""
