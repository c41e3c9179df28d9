"""Connection profiles, in one record whichever shape (v1 or v2) the upstream answered.

Nested data the dashboard only shows (configuration, health) is kept as read-only
mappings and left out of repr(), because it may hold credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from controlapi.values import (
    empty,
    extra_fields,
    read_bool,
    read_datetime,
    read_int,
    read_mapping,
    read_str,
    require_mapping,
    thawed,
)

_PROFILE_V2_MARKERS = frozenset(
    {"profile_type", "status", "last_sync", "organization", "health_status", "configuration",
     "endpoint_url", "sync_frequency", "last_sync_status", "connection_timeout"}
)  # fmt: skip
_PROFILE_V1_MARKERS = frozenset(
    {"connection_type", "host", "port", "database", "endpoint", "timeout", "last_tested",
     "test_status", "max_connections"}
)  # fmt: skip
_PROFILE_KEYS = (
    frozenset({"id", "name", "description", "is_active", "created_at", "updated_at", "created_by",
               "ssl_enabled", "username", "retry_attempts", "sync_record_count",
               "authentication_type"})
    | _PROFILE_V1_MARKERS
    | _PROFILE_V2_MARKERS
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Profile:
    """A connection profile in one record whichever shape the upstream answered.

    `shape` is "v2" (newer: profile_type, status, sync and health data) or "v1" (older:
    connection_type, host/port, test results); the fields of the other shape are None.
    `kind`, `last_checked`, `last_check_status` and `timeout_seconds` read the same
    thing from either shape, so pages need not branch on it.
    """

    id: int
    name: str
    shape: str
    description: str | None = None
    is_active: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    created_by: str | None = None
    ssl_enabled: bool | None = None
    username: str | None = None
    # newer shape
    profile_type: str | None = None
    status: str | None = None
    organization: str | None = None
    last_sync: datetime | None = None
    last_sync_status: str | None = None
    sync_frequency: str | None = None
    sync_record_count: int | None = None
    endpoint_url: str | None = None
    authentication_type: str | None = None
    connection_timeout: int | None = None
    retry_attempts: int | None = None
    configuration: Mapping[str, Any] = field(default_factory=empty, repr=False)
    health_status: Mapping[str, Any] = field(default_factory=empty, repr=False)
    # older shape
    connection_type: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    endpoint: str | None = None
    timeout: int | None = None
    max_connections: int | None = None
    last_tested: datetime | None = None
    test_status: str | None = None
    extra: Mapping[str, Any] = field(default_factory=empty, repr=False)

    @property
    def kind(self) -> str | None:
        """What it connects to: profile_type (v2) or connection_type (v1)."""
        return self.profile_type if self.shape == "v2" else self.connection_type

    @property
    def last_checked(self) -> datetime | None:
        """Last sync (v2) or last connection test (v1)."""
        return self.last_sync if self.shape == "v2" else self.last_tested

    @property
    def last_check_status(self) -> str | None:
        """Outcome of the last sync (v2) or the last test (v1), e.g. "success"."""
        return self.last_sync_status if self.shape == "v2" else self.test_status

    @property
    def timeout_seconds(self) -> int | None:
        return self.connection_timeout if self.shape == "v2" else self.timeout

    def to_cache(self) -> dict[str, Any]:
        """A JSON-able dict (datetimes as ISO-8601, mappings as dicts); configuration is
        kept whole, so whoever stores it stores credentials: keep the cache private."""
        data = {}
        for name in _PROFILE_FIELD_NAMES:
            value = getattr(self, name)
            data[name] = _iso(value) if isinstance(value, datetime) else thawed(value)
        return data

    @classmethod
    def from_cache(cls, data: Mapping[str, Any]) -> Profile:
        """The reverse of to_cache; keys missing from an older entry read as defaults."""
        values = {name: data[name] for name in _PROFILE_FIELD_NAMES if name in data}
        for name in _PROFILE_DATETIMES:
            values[name] = _from_iso(values.get(name))
        for name in _PROFILE_MAPPINGS:
            values[name] = read_mapping(values.get(name))
        return cls(**values)

    @classmethod
    def from_api(cls, raw: Mapping) -> Profile:
        get = require_mapping(raw, "a connection profile").get
        profile_id = read_int(get("id"))
        if profile_id is None:
            raise ValueError("a connection profile without an id")
        keys = raw.keys()
        # ASSUMPTION: a profile with none of the newer fields but some older one is "v1";
        # anything else (including a bare {id, name}) is read as the newer shape.
        shape = "v1" if not (keys & _PROFILE_V2_MARKERS) and (keys & _PROFILE_V1_MARKERS) else "v2"
        return cls(
            id=profile_id,
            name=read_str(get("name")) or "",
            shape=shape,
            description=read_str(get("description")),
            is_active=read_bool(get("is_active")),
            created_at=read_datetime(get("created_at")),
            updated_at=read_datetime(get("updated_at")),
            created_by=read_str(get("created_by")),
            ssl_enabled=read_bool(get("ssl_enabled")),
            username=read_str(get("username")),
            profile_type=read_str(get("profile_type")),
            status=read_str(get("status")),
            organization=read_str(get("organization")),
            last_sync=read_datetime(get("last_sync")),
            last_sync_status=read_str(get("last_sync_status")),
            sync_frequency=read_str(get("sync_frequency")),
            sync_record_count=read_int(get("sync_record_count")),
            endpoint_url=read_str(get("endpoint_url")),
            authentication_type=read_str(get("authentication_type")),
            connection_timeout=read_int(get("connection_timeout")),
            retry_attempts=read_int(get("retry_attempts")),
            configuration=read_mapping(get("configuration")),
            health_status=read_mapping(get("health_status")),
            connection_type=read_str(get("connection_type")),
            host=read_str(get("host")),
            port=read_int(get("port")),
            database=read_str(get("database")),
            endpoint=read_str(get("endpoint")),
            timeout=read_int(get("timeout")),
            max_connections=read_int(get("max_connections")),
            last_tested=read_datetime(get("last_tested")),
            test_status=read_str(get("test_status")),
            extra=extra_fields(raw, _PROFILE_KEYS),
        )


_PROFILE_FIELD_NAMES = tuple(f.name for f in fields(Profile))
_PROFILE_DATETIMES = ("created_at", "updated_at", "last_sync", "last_tested")
_PROFILE_MAPPINGS = ("configuration", "health_status", "extra")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _from_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
