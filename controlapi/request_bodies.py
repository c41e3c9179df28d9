"""What the client sends: request data as JSON, and the secrets in it, which are
scrubbed from any upstream text before an error message quotes it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from controlapi.secret_words import looks_secret


def aware_text(moment: datetime, name: str) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return moment.isoformat()


def jsonable(value: Any) -> Any:
    """Request data as JSON: aware datetimes as ISO-8601 with offset, Decimals as strings."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return aware_text(value, "a datetime sent to the control API")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def collect_secrets(value: Any, found: list[str]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if isinstance(inner, str) and looks_secret(key):
                found.append(inner)
            else:
                collect_secrets(inner, found)
    elif isinstance(value, list | tuple):
        for inner in value:
            collect_secrets(inner, found)


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return text
