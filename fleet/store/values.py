"""How the fleet store encodes values: JSON, times as epoch seconds, short names."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson

from controlapi.records import CacheRow, Device, decode_device, encode_device

# A device that never connected or never changed status sorts as the oldest.
NO_TIME = -1.0


def to_json(data: Any) -> bytes:
    # orjson: the standard encoder would dominate a full poll's time.
    return orjson.dumps(data)


def cache_row(fields: dict[str, Any]) -> CacheRow:
    """A cache dict as `write_page` takes devices: the dict, and its JSON."""
    return CacheRow(fields, encode_device(fields))


def device_of(row: bytes) -> Device:
    return decode_device(row)


def digest(text: str | bytes) -> str:
    """A short stable name for a cached result (not a security measure)."""
    data = text.encode() if isinstance(text, str) else text
    return hashlib.blake2b(data, digest_size=10).hexdigest()


def epoch(moment: datetime | None) -> float:
    return NO_TIME if moment is None else moment.timestamp()


def epoch_of_iso(text: str | None) -> float:
    return NO_TIME if text is None else datetime.fromisoformat(text).timestamp()


def from_epoch(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(float(value), tz=UTC)


def read_kept(client, key: str, field: str) -> tuple[Any, datetime] | None:
    """A kept record (`{field: record, "read_at": epoch}`) and when it was read; None if
    none."""
    raw = client.get(key)
    if raw is None:
        return None
    data = orjson.loads(raw)
    return data[field], from_epoch(data["read_at"])


def text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else value
