"""How healthy a connection profile is: the rules, in one place.

`judge(profile, now)` reads the signals the upstream gives and returns a
`Judgement`: one state per signal (with its value, the threshold and why) and the
profile's state, the worst of its signals. Pure functions: no Redis, no upstream.

Newer shape (v2) signals, from `health_status` and the sync data:

- connectivity: "healthy" (or ok/up/connected/reachable) is healthy;
  unreachable/down/failed/failing/error/unhealthy/disconnected/timeout is failing;
  any other word is degraded (a word we do not know is never read as healthy).
- authentication: "valid" (or ok/success/authenticated) is healthy;
  invalid/expired/failed/failure/revoked/denied/unauthorized/error is failing;
  any other word is degraded.
- error_count_24h: 0 healthy, 1 to 24 degraded, 25 or more failing.
- last_error: any text is degraded (the upstream reports an error); none healthy.
- last_sync_status: success/ok/completed is healthy; failed/failure/error is
  failing; anything else (e.g. "partial") degraded.
- sync freshness: not synced for more than two sync periods is overdue, and
  degraded; exactly two periods is still on time. The period comes from
  `sync_frequency` (hourly, daily, weekly, monthly = 30 days, every_15_minutes,
  every_2_hours, ...); a word we cannot turn into a period gives no overdue
  judgement, and the panel says so.

Older shape (v1) signals:

- test_status: success/ok/passed is healthy; failure/failed/error is failing;
  any other word degraded.
- last_tested: ASSUMPTION (the reference page only says to check it regularly):
  untested for more than 7 days is stale, and degraded; exactly 7 days is not.

A missing signal is "unknown" and does not count; a profile whose signals are all
unknown (e.g. read from the upstream's list, which has no health data) is unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from common.masking import mask_url
from controlapi.records import Profile

HEALTHY = "healthy"
DEGRADED = "degraded"
FAILING = "failing"
UNKNOWN = "unknown"

# Worst first: the order of the counts, of "the worst few" and of the list.
STATES = (FAILING, DEGRADED, UNKNOWN, HEALTHY)
STATE_LABELS = {
    FAILING: "Failing",
    DEGRADED: "Degraded",
    UNKNOWN: "Unknown",
    HEALTHY: "Healthy",
}
_SEVERITY = {HEALTHY: 0, DEGRADED: 1, FAILING: 2}

ERRORS_DEGRADED_AT = 1
ERRORS_FAILING_AT = 25
OVERDUE_AFTER_PERIODS = 2
STALE_TEST_AFTER = timedelta(days=7)

_CONNECTIVITY_OK = {"healthy", "ok", "up", "connected", "reachable"}
_CONNECTIVITY_BAD = {
    "unreachable", "down", "failed", "failing", "error", "unhealthy", "disconnected", "timeout",
}  # fmt: skip
_AUTH_OK = {"valid", "ok", "success", "authenticated"}
_AUTH_BAD = {
    "invalid", "expired", "failed", "failure", "revoked", "denied", "unauthorized", "error",
}  # fmt: skip
_RESULT_OK = {"success", "ok", "completed", "passed"}
_RESULT_BAD = {"failed", "failure", "error"}

_NAMED_PERIODS = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
    "monthly": timedelta(days=30),
}
_UNITS = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
_EVERY = re.compile(r"every[_\s-]+(\d+)?[_\s-]*(minute|hour|day|week)s?")


@dataclass(frozen=True, slots=True)
class Signal:
    """One thing the judgement looked at."""

    name: str
    value: str  # as shown
    threshold: str  # what makes it healthy / degraded / failing
    state: str
    reason: str


@dataclass(frozen=True, slots=True)
class Judgement:
    state: str
    signals: tuple[Signal, ...]

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def reasons(self) -> list[str]:
        """Why the profile is not healthy: the reasons of its worst signals."""
        return [s.reason for s in self.signals if s.state == self.state and s.state != HEALTHY]


def judge(profile: Profile, now: datetime) -> Judgement:
    signals = (
        _newer_signals(profile, now) if profile.shape == "v2" else _older_signals(profile, now)
    )
    known = [s.state for s in signals if s.state != UNKNOWN]
    state = max(known, key=_SEVERITY.__getitem__) if known else UNKNOWN
    return Judgement(state=state, signals=tuple(signals))


def sync_period(frequency: str | None) -> timedelta | None:
    """The period a sync_frequency word means, or None when we cannot tell."""
    if not frequency:
        return None
    word = frequency.strip().lower()
    if word in _NAMED_PERIODS:
        return _NAMED_PERIODS[word]
    match = _EVERY.fullmatch(word)
    if match is None:
        return None
    count = int(match.group(1) or 1)
    return _UNITS[match.group(2)] * count if count > 0 else None


def describe_age(age: timedelta) -> str:
    """A short duration for people: "40 s", "12 min", "3 h 5 min", "2 days 4 h"."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    unit = "day" if days == 1 else "days"
    return f"{days} {unit} {hours} h" if hours else f"{days} {unit}"


# --- the signals of each shape ------------------------------------------------------


def _newer_signals(profile: Profile, now: datetime) -> list[Signal]:
    health = profile.health_status
    return [
        _word_signal(
            "Connectivity", health.get("connectivity"), _CONNECTIVITY_OK, _CONNECTIVITY_BAD,
            threshold=_threshold("“healthy”, “ok” or “connected”",
                                 "“unreachable”, “down”, “failed” and the like"),
            said=("Connectivity is good", "Connectivity is failing: reported as “{word}”"),
        ),
        _word_signal(
            "Authentication", health.get("authentication"), _AUTH_OK, _AUTH_BAD,
            threshold=_threshold("“valid” or “ok”", "“invalid”, “expired”, “revoked” and the like"),
            said=("The credentials are valid", "Authentication is failing: reported as “{word}”"),
        ),
        _error_count_signal(health.get("error_count_24h")),
        _last_error_signal(health.get("last_error"), reported="error_count_24h" in health),
        _word_signal(
            "Last sync result", profile.last_sync_status, _RESULT_OK, _RESULT_BAD,
            threshold=_threshold("“success” or “completed”", "“failed” or “error”"),
            said=("The last sync succeeded", "The last sync failed"),
        ),
        _overdue_signal(profile.last_sync, profile.sync_frequency, now),
    ]  # fmt: skip


def _older_signals(profile: Profile, now: datetime) -> list[Signal]:
    return [
        _word_signal(
            "Connection test",
            profile.test_status,
            _RESULT_OK,
            _RESULT_BAD,
            threshold=_threshold("“success” or “passed”", "“failure” or “failed”"),
            said=("The connection test passed", "The connection test failed"),
        ),
        _stale_test_signal(profile.last_tested, now),
    ]


def _threshold(healthy: str, failing: str) -> str:
    return f"Healthy when reported as {healthy}; failing when {failing}; any other word degraded"


def _word_signal(
    name, value, ok: set, bad: set, *, threshold: str, said: tuple[str, str]
) -> Signal:
    """`said`: the reason when the word is a healthy one, and when it is a failing one."""
    if value is None or str(value).strip() == "":
        return Signal(name, "—", threshold, UNKNOWN, f"{name}: not reported")
    word = str(value).strip()
    lowered = word.lower()
    if lowered in ok:
        return Signal(name, word, threshold, HEALTHY, said[0])
    if lowered in bad:
        return Signal(name, word, threshold, FAILING, said[1].format(word=word))
    return Signal(
        name, word, threshold, DEGRADED, f"{name} is reported as “{word}”, not a healthy value"
    )


def _error_count_signal(value) -> Signal:
    name = "Errors in 24 h"
    threshold = f"Healthy at 0; degraded from {ERRORS_DEGRADED_AT} to {ERRORS_FAILING_AT - 1}; failing from {ERRORS_FAILING_AT}"  # noqa: E501
    try:
        count = int(value)
    except (TypeError, ValueError):
        return Signal(name, "—", threshold, UNKNOWN, "Error count: not reported")
    if count >= ERRORS_FAILING_AT:
        state = FAILING
    elif count >= ERRORS_DEGRADED_AT:
        state = DEGRADED
    else:
        state = HEALTHY
    return Signal(name, str(count), threshold, state, f"{count} errors in the last 24 h")


def _last_error_signal(value, *, reported: bool) -> Signal:
    name = "Last error"
    threshold = "Healthy when no error is reported; any error is degraded"
    if value is None or str(value).strip() == "":
        # A null last_error next to an error count means "no error"; alone it means nothing.
        state = HEALTHY if reported else UNKNOWN
        return Signal(name, "none", threshold, state, "No error reported")
    text = mask_url(str(value).strip())
    return Signal(name, text, threshold, DEGRADED, f"Last error: {text}")


def _overdue_signal(last_sync: datetime | None, frequency: str | None, now: datetime) -> Signal:
    name = "Last sync"
    period = sync_period(frequency)
    if period is None:
        shown = "—" if last_sync is None else f"{describe_age(now - last_sync)} ago"
        word = frequency or "not given"
        return Signal(
            name, shown, f"No period known for the sync frequency “{word}”", UNKNOWN,
            f"Sync frequency {word}: cannot tell whether a sync is overdue",
        )  # fmt: skip
    limit = period * OVERDUE_AFTER_PERIODS
    threshold = (
        f"Degraded when not synced for over {describe_age(limit)} "
        f"({OVERDUE_AFTER_PERIODS} × “{frequency}”)"
    )
    if last_sync is None:
        return Signal(name, "never", threshold, UNKNOWN, "No sync recorded yet")
    age = now - last_sync
    shown = f"{describe_age(age)} ago"
    if age > limit:
        return Signal(name, shown, threshold, DEGRADED, f"Sync overdue: last one {shown}")
    return Signal(name, shown, threshold, HEALTHY, f"Synced {shown}, on time")


def _stale_test_signal(last_tested: datetime | None, now: datetime) -> Signal:
    name = "Last tested"
    threshold = f"Degraded when not tested for over {describe_age(STALE_TEST_AFTER)}"
    if last_tested is None:
        return Signal(name, "never", threshold, UNKNOWN, "No connection test recorded")
    age = now - last_tested
    shown = f"{describe_age(age)} ago"
    if age > STALE_TEST_AFTER:
        return Signal(name, shown, threshold, DEGRADED, f"Not tested for {describe_age(age)}")
    return Signal(name, shown, threshold, HEALTHY, f"Tested {shown}")
