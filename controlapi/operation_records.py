"""What the upstream answers about operations: a device's operational record (PUT
/inventory_device_operation/{id}/) and an operation scheduled by serial number
(headless), each read from either documented shape; `configuration` and `parameters`
are read-only and kept out of repr(), as they may hold credentials."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
)


@dataclass(frozen=True, slots=True)
class OperationalHistoryEntry:
    timestamp: datetime | None = None
    action: str | None = None
    from_status: str | None = None
    to_status: str | None = None
    performed_by: str | None = None

    @classmethod
    def from_api(cls, raw: object) -> OperationalHistoryEntry:
        get = raw.get if isinstance(raw, Mapping) else {}.get
        return cls(
            timestamp=read_datetime(get("timestamp")),
            action=read_str(get("action")),
            from_status=read_str(get("from_status")),
            to_status=read_str(get("to_status")),
            performed_by=read_str(get("performed_by")),
        )


_OPERATION_KEYS = frozenset(
    {"id", "device_name", "serial_number", "device_type", "operational_status", "location",
     "assigned_user", "organization", "configuration", "maintenance_notes", "next_maintenance",
     "last_updated", "updated_by", "operational_history", "operation_type", "status",
     "device_id", "operator_id", "description", "started_at", "completed_at", "notes",
     "created_at", "updated_at"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DeviceOperation:
    """The operational record of a device (answer of PUT /inventory_device_operation/{id}/).

    Newer-shape fields first; the older shape's fields (operation_type ... updated_at)
    are None when the upstream answers the newer shape, and the other way round.
    """

    id: int
    device_name: str | None = None
    serial_number: str | None = None
    device_type: str | None = None
    operational_status: str | None = None
    location: str | None = None
    assigned_user: str | None = None
    organization: str | None = None
    configuration: Mapping[str, Any] = field(default_factory=empty, repr=False)
    maintenance_notes: str | None = None
    next_maintenance: datetime | None = None
    last_updated: datetime | None = None
    updated_by: str | None = None
    operational_history: tuple[OperationalHistoryEntry, ...] = ()
    operation_type: str | None = None
    status: str | None = None
    device_id: str | None = None
    operator_id: str | None = None
    description: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    notes: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=empty, repr=False)

    @classmethod
    def from_api(cls, raw: Mapping) -> DeviceOperation:
        get = require_mapping(raw, "a device operation").get
        operation_id = read_int(get("id"))
        if operation_id is None:
            raise ValueError("a device operation without an id")
        history = get("operational_history")
        return cls(
            id=operation_id,
            device_name=read_str(get("device_name")),
            serial_number=read_str(get("serial_number")),
            device_type=read_str(get("device_type")),
            operational_status=read_str(get("operational_status")),
            location=read_str(get("location")),
            assigned_user=read_str(get("assigned_user")),
            organization=read_str(get("organization")),
            configuration=read_mapping(get("configuration")),
            maintenance_notes=read_str(get("maintenance_notes")),
            next_maintenance=read_datetime(get("next_maintenance")),
            last_updated=read_datetime(get("last_updated")),
            updated_by=read_str(get("updated_by")),
            operational_history=tuple(
                OperationalHistoryEntry.from_api(entry)
                for entry in (history if isinstance(history, list) else ())
            ),
            operation_type=read_str(get("operation_type")),
            status=read_str(get("status")),
            device_id=read_str(get("device_id")),
            operator_id=read_str(get("operator_id")),
            description=read_str(get("description")),
            started_at=read_datetime(get("started_at")),
            completed_at=read_datetime(get("completed_at")),
            notes=read_str(get("notes")),
            created_at=read_datetime(get("created_at")),
            updated_at=read_datetime(get("updated_at")),
            extra=extra_fields(raw, _OPERATION_KEYS),
        )


# --- headless operations -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeadlessDeviceStatus:
    """What the upstream knows of the device a headless operation targets."""

    online: bool | None = None
    last_seen: datetime | None = None
    firmware_version: str | None = None

    @classmethod
    def from_api(cls, raw: Mapping) -> HeadlessDeviceStatus:
        get = raw.get
        return cls(
            online=read_bool(get("online")),
            last_seen=read_datetime(get("last_seen")),
            firmware_version=read_str(get("firmware_version")),
        )


_HEADLESS_KEYS = frozenset(
    {"id", "device_serial", "operation_type", "status", "scheduled_time", "created_at",
     "parameters", "device_status"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class HeadlessOperation:
    """An operation scheduled by device serial number, known by its transaction id."""

    id: str
    device_serial: str | None = None
    operation_type: str | None = None
    status: str | None = None
    scheduled_time: datetime | None = None
    created_at: datetime | None = None
    parameters: Mapping[str, Any] = field(default_factory=empty, repr=False)
    device_status: HeadlessDeviceStatus | None = None
    extra: Mapping[str, Any] = field(default_factory=empty, repr=False)

    @classmethod
    def from_api(cls, raw: Mapping) -> HeadlessOperation:
        get = require_mapping(raw, "a headless operation").get
        transaction_id = read_str(get("id"))
        if not transaction_id:
            raise ValueError("a headless operation without a transaction id")
        device_status = get("device_status")
        return cls(
            id=transaction_id,
            device_serial=read_str(get("device_serial")),
            operation_type=read_str(get("operation_type")),
            status=read_str(get("status")),
            scheduled_time=read_datetime(get("scheduled_time")),
            created_at=read_datetime(get("created_at")),
            parameters=read_mapping(get("parameters")),
            device_status=(
                HeadlessDeviceStatus.from_api(device_status)
                if isinstance(device_status, Mapping)
                else None
            ),
            extra=extra_fields(raw, _HEADLESS_KEYS),
        )
