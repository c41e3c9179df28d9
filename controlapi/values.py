"""Readers of upstream values, shared by every record: None for a missing, null or
unreadable value, so that a record never fails on one odd field."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import msgspec

from controlapi.secret_words import looks_secret

EMPTY: Mapping[str, Any] = MappingProxyType({})


def empty() -> Mapping[str, Any]:
    return EMPTY


def read_datetime(value: object) -> datetime | None:
    """A timezone-aware datetime. RFC 3339 is read as msgspec reads it (so that a record
    decoded straight from JSON holds the same instant); other ISO-8601 forms by
    `datetime.fromisoformat`. ASSUMPTION: a timestamp without an offset is UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = msgspec.convert(value, datetime)
        except msgspec.ValidationError:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def read_int(value: object) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite float
        return None


def read_bool(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
    return None


def read_str(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(value)


def frozen(value: object) -> Any:
    """JSON data as read-only data: mappings become MappingProxyType, lists tuples; a
    number JSON cannot carry (`Infinity`, `NaN`, which Python's parser accepts) becomes None,
    as it would on its way through the cache."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): frozen(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(frozen(v) for v in value)
    return value


def thawed(value: object) -> Any:
    """The reverse of `frozen`, for JSON."""
    if isinstance(value, Mapping):
        return {k: thawed(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thawed(v) for v in value]
    return value


def read_mapping(value: object) -> Mapping[str, Any]:
    return frozen(value) if isinstance(value, Mapping) else EMPTY


def extra_fields(raw: Mapping, known: frozenset[str]) -> Mapping[str, Any]:
    """The fields of `raw` a record does not name, read-only, credentials dropped."""
    if known.issuperset(raw):  # the common case, without building a set
        return EMPTY
    unknown = raw.keys() - known
    return MappingProxyType(
        {key: frozen(raw[key]) for key in sorted(unknown) if not looks_secret(key)}
    )


def require_mapping(raw: object, what: str) -> Mapping:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{what} must be a JSON object, not {type(raw).__name__}")
    return raw
