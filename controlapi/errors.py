"""Errors raised by the control API client, one class per thing an operator can act on.

Every error names the HTTP method and the path (relative to the API root) and
reads as a sentence, so that a page or a log line can show `str(error)` as it
is. No error ever carries the API token or a password: the client removes
them from any upstream text before it gets here.

Every constructor takes its arguments positionally in the order of `args`, so
`type(error)(*error.args)` rebuilds the error (pickle and Celery's JSON result
serialiser both rely on that).
"""

from __future__ import annotations

from collections.abc import Mapping


class ControlAPIError(Exception):
    """Base class; also raised as is for an HTTP status none of the subclasses covers."""

    summary = "The control API answered with an unexpected status"

    def __init__(
        self, method: str, path: str, status: int | None = None, message: str | None = None
    ):
        super().__init__(method, path, status, message)
        self.method = method
        self.path = path
        self.status = status
        self.message = message or self._default_message()

    def _default_message(self) -> str:
        code = f" ({self.status})" if self.status is not None else ""
        return f"{self.summary}{code} for {self.method} {self.path}"

    def __str__(self) -> str:
        return self.message


class ValidationFailed(ControlAPIError):
    """400: the upstream refused the data. `field_errors` maps a field (or
    "non_field_errors") to its messages."""

    summary = "The control API rejected the data"

    def __init__(self, method, path, status=400, message=None, field_errors=None):
        self.field_errors: dict[str, list[str]] = dict(field_errors or {})
        super().__init__(method, path, status, message)
        self.args = (method, path, status, message, self.field_errors)

    def _default_message(self) -> str:
        base = super()._default_message()
        if not self.field_errors:
            return base
        details = "; ".join(
            f"{field}: {' '.join(messages)}" if field != "non_field_errors" else " ".join(messages)
            for field, messages in self.field_errors.items()
        )
        return f"{base}: {details}"


class Unauthorized(ControlAPIError):
    """401: the token is missing, wrong or revoked."""

    summary = "The control API refused the token"


class Forbidden(ControlAPIError):
    """403: the token is valid but may not do this (another organization, no write right)."""

    summary = "The control API token is not allowed to do this"


class NotFound(ControlAPIError):
    """404: no such object (or, for a headless operation, no such transaction id)."""

    summary = "The control API has no such object"


class Conflict(ControlAPIError):
    """409: the object cannot change now, e.g. a device with pending work cannot be deleted."""

    summary = "The control API refused because of a conflict"


class RateLimited(ControlAPIError):
    """429: too many requests. `retry_after`: seconds the upstream asked us to wait, if it did."""

    summary = "The control API is limiting our request rate"

    def __init__(self, method, path, status=429, message=None, retry_after=None):
        self.retry_after: float | None = retry_after
        super().__init__(method, path, status, message)
        self.args = (method, path, status, message, retry_after)

    def _default_message(self) -> str:
        base = super()._default_message()
        if self.retry_after is None:
            return base
        return f"{base}; it asks to wait {self.retry_after:g} s"


class UpstreamError(ControlAPIError):
    """5xx: the upstream (or a proxy in front of it) failed. A 503 may carry `retry_after`."""

    summary = "The control API failed on its side"

    def __init__(self, method, path, status=500, message=None, retry_after=None):
        self.retry_after: float | None = retry_after
        super().__init__(method, path, status, message)
        self.args = (method, path, status, message, retry_after)


class Unavailable(ControlAPIError):
    """No HTTP answer at all: connection refused, DNS failure, timeout, connection cut.

    `maybe_sent` tells whether the upstream may have received the request. It is
    False only when no connection was ever made (so a write certainly did not
    happen); after a read timeout or a cut connection the outcome is unknown and
    a write must be checked, not blindly repeated.
    """

    def __init__(self, method, path, status=None, message=None, maybe_sent=True):
        self.maybe_sent: bool = maybe_sent
        super().__init__(method, path, status, message)
        self.args = (method, path, status, message, maybe_sent)

    def _default_message(self) -> str:
        if not self.maybe_sent:
            return f"The control API could not be reached for {self.method} {self.path}"
        text = (
            f"The control API did not answer {self.method} {self.path} (timeout or connection cut)"
        )
        if self.method != "GET":
            text += "; the change may or may not have been applied"
        return text


class BadResponse(ControlAPIError):
    """An answer that is not the JSON the contract describes (HTML error page, truncated body,
    a redirect, a record without an id...)."""

    summary = "The control API sent an answer that could not be read"


class UnreadableAnswer(BadResponse):
    """A write the upstream accepted (2xx) whose answer could not be read: the change was
    probably applied, so its outcome is unknown, never a failure to send again blindly."""


# The one table from HTTP status to error class; any 5xx is UpstreamError.
ERROR_FOR_STATUS: Mapping[int, type[ControlAPIError]] = {
    400: ValidationFailed,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    429: RateLimited,
}

# Upstream text shown in a message is cut to this length: a proxy's HTML page
# must not fill a banner.
_DETAIL_LIMIT = 300


def as_sentence(error: BaseException) -> str:
    """`str(error)` ending with one full stop (or its own ? ! …), so a sentence can follow."""
    text = str(error).strip()
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def error_class_for(status: int) -> type[ControlAPIError]:
    if status >= 500:
        return UpstreamError
    return ERROR_FOR_STATUS.get(status, ControlAPIError)


def field_errors_from(payload: object) -> dict[str, list[str]]:
    """A DRF-style 400 body as {field: [message, ...]}; a bare detail or list goes to
    "non_field_errors"."""
    if isinstance(payload, Mapping):
        if set(payload) == {"detail"}:
            return {"non_field_errors": _messages(payload["detail"])}
        return {str(field): _messages(value) for field, value in payload.items()}
    if payload in (None, "", [], {}):
        return {}
    return {"non_field_errors": _messages(payload)}


def _messages(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        return [_cut(str(item)) for item in value]
    if isinstance(value, Mapping):  # nested serializer errors: keep them readable
        return [f"{key}: {' '.join(_messages(inner))}" for key, inner in value.items()]
    return [_cut(str(value))]


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 1] + "…"


def error_from_response(
    method: str,
    path: str,
    status: int,
    payload: object,
    *,
    retry_after: float | None = None,
    scrub=lambda text: text,
) -> ControlAPIError:
    """Build the error for an HTTP error answer.

    `payload` is the decoded JSON body, or None when it was not JSON (then no
    upstream wording is shown: it is usually an HTML page). `scrub` removes
    secrets from upstream text before it reaches the message.
    """
    cls = error_class_for(status)
    if cls is ValidationFailed:
        field_errors = {
            field: [scrub(message) for message in messages]
            for field, messages in field_errors_from(payload).items()
        }
        return ValidationFailed(method, path, status, None, field_errors)
    if cls is RateLimited or cls is UpstreamError:
        error = cls(method, path, status, None, retry_after)
    else:
        error = cls(method, path, status)
    detail = payload.get("detail") if isinstance(payload, Mapping) else None
    if isinstance(detail, str) and detail.strip():
        error.message = f"{error.message}: {scrub(_cut(detail))}"
        error.args = (method, path, status, error.message, *error.args[4:])
    return error


def unreadable(method: str, path: str, status: int | None, why: str) -> BadResponse:
    """A success answer we cannot read. For a write the upstream did accept the change,
    and the operator must know that before trying again (UnreadableAnswer)."""
    code = f" ({status})" if status is not None else ""
    if method == "GET":
        text = f"The control API sent an answer that could not be read{code} for GET {path}"
        return BadResponse(method, path, status, f"{text} ({why})")
    text = (
        f"The control API accepted {method} {path}{code} but its answer could not be read;"
        " the change was probably applied"
    )
    return UnreadableAnswer(method, path, status, f"{text} ({why})")
