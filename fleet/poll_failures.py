"""Why a poll failed, as one word a metric can be labelled with (plain Python, no Django).

The poll health keeps the last failure in words for people; alerts need a small fixed set
of reasons to count by, so each failure is also counted under one of these.
"""

from __future__ import annotations

import redis

from controlapi import errors

TOKEN_REFUSED = "token_refused"
FORBIDDEN = "forbidden"
RATE_LIMITED = "rate_limited"
UPSTREAM_ERROR = "upstream_error"
UPSTREAM_UNREACHABLE = "upstream_unreachable"
BAD_RESPONSE = "bad_response"
UPSTREAM_REFUSED = "upstream_refused"
LOCK_LOST = "lock_lost"
REDIS = "redis"
TIME_LIMIT = "time_limit"
OTHER = "other"


class PollFailed(Exception):
    """A poll stopped; the previous snapshot stays. The message says why, in words;
    `kind`, when given, is the reason's word (a range of a full poll failed elsewhere,
    its error told here in words only)."""

    def __init__(self, message: str, kind: str | None = None):
        super().__init__(message)
        self.kind = kind


class LockLost(PollFailed):
    pass


_BY_CLASS: tuple[tuple[type[BaseException], str], ...] = (
    (errors.Unauthorized, TOKEN_REFUSED),
    (errors.Forbidden, FORBIDDEN),
    (errors.RateLimited, RATE_LIMITED),
    (errors.UpstreamError, UPSTREAM_ERROR),
    (errors.Unavailable, UPSTREAM_UNREACHABLE),
    (errors.BadResponse, BAD_RESPONSE),
    (ValueError, BAD_RESPONSE),  # a page the client could not read as devices
    (errors.ControlAPIError, UPSTREAM_REFUSED),
    (redis.RedisError, REDIS),
)


def failure_kind(error: BaseException) -> str:
    """The reason a poll stopped on `error`, one of the names above."""
    if isinstance(error, LockLost):
        return LOCK_LOST
    if isinstance(error, PollFailed) and error.kind:
        return error.kind
    # Celery's SoftTimeLimitExceeded, named rather than imported: polling knows no Celery.
    if type(error).__name__ == "SoftTimeLimitExceeded":
        return TIME_LIMIT
    for kind_of, kind in _BY_CLASS:
        if isinstance(error, kind_of):
            return kind
    cause = error.__cause__
    return failure_kind(cause) if cause is not None and cause is not error else OTHER
