"""Upstream records, normalised at this one boundary: the names pages and the read
model import, each defined in the module of its concern."""

from controlapi.device_record import (
    DETAIL_ONLY_FIELDS,
    CacheRow,
    Device,
    UnstorableDevice,
    decode_device,
    encode_device,
    has_detail_fields,
    storable_row,
)
from controlapi.operation_records import (
    DeviceOperation,
    HeadlessDeviceStatus,
    HeadlessOperation,
    OperationalHistoryEntry,
)
from controlapi.pages import Page
from controlapi.pending_settings import PendingSetting, parse_pending_settings
from controlapi.profile_record import Profile
from controlapi.secret_words import looks_secret

__all__ = [
    "DETAIL_ONLY_FIELDS",
    "CacheRow",
    "Device",
    "DeviceOperation",
    "HeadlessDeviceStatus",
    "HeadlessOperation",
    "OperationalHistoryEntry",
    "Page",
    "PendingSetting",
    "Profile",
    "UnstorableDevice",
    "decode_device",
    "encode_device",
    "has_detail_fields",
    "looks_secret",
    "parse_pending_settings",
    "storable_row",
]
