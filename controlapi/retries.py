"""When the client tries a GET again, and how long it waits first.

Only GETs are ever retried (see client.py): a reboot or a factory reset must
never be sent twice because an answer was lost.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded in retries and in total time.

    - `max_retries`: retries after the first attempt (0 turns retrying off).
    - `backoff`: base delay in seconds; retry n (0-based) waits a random time in
      [0, backoff * 2**n] ("full jitter": many pollers hitting a recovering
      upstream spread out instead of retrying in lock-step).
    - `max_retry_time`: no retry starts once this many seconds would have passed
      since the first attempt, counting the wait before it.
    - A `Retry-After` from the upstream (429, 503) replaces the computed delay;
      if it asks for longer than the remaining time, the client gives up at once
      and the error carries `retry_after` for the caller to schedule later.
    """

    max_retries: int = 3
    backoff: float = 0.5
    max_retry_time: float = 30.0

    def delay(self, retry: int, elapsed: float, retry_after: float | None = None) -> float | None:
        """Seconds to wait before retry number `retry` (0-based), or None to give up."""
        if retry >= self.max_retries:
            return None
        if retry_after is not None:
            wait = retry_after
        else:
            wait = random.uniform(0, min(self.backoff * 2**retry, self.max_retry_time))
        if elapsed + wait > self.max_retry_time:
            return None
        return wait


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header (delta seconds or an HTTP date) as seconds from now, or None."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(seconds, 0.0)
