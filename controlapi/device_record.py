"""The device record: one frozen msgspec Struct, one lenient normaliser in front of it.

`Device.from_api` reads any shape the contract allows (docs/CONTROL_API.md,
"Tolerance"); the cache stores the record as msgspec writes it and reads it back with
the same type (`encode_device` / `decode_device`). A well-formed upstream body
decodes straight into the same type (controlapi.device_pages), because the field
types below accept exactly the values the normaliser would keep as they are.

- timestamps are timezone-aware (ASSUMPTION: a timestamp without an offset is UTC);
- coordinates are Decimals (the upstream sends decimal strings);
- a missing field, a null and a value that cannot be read are all None (a device that
  never connected has no versions or timestamps); a record without an id raises
  ValueError;
- fields the record does not name are kept in `extra`, except credential-like ones,
  and a device password the upstream echoes is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Annotated, Any, NamedTuple

import msgspec

from controlapi.pending_settings import NONE_PENDING, PendingSettings, parse_pending_settings
from controlapi.values import (
    EMPTY,
    extra_fields,
    frozen,
    read_bool,
    read_datetime,
    read_int,
    read_str,
    require_mapping,
    thawed,
)

# The store holds 64-bit integers only; a larger one makes a record unstorable.
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
Moment = Annotated[datetime, msgspec.Meta(tz=True)]


class Coordinate(Decimal):
    """A latitude or longitude: a Decimal with a type of its own, so that the record's
    decoder reads it with `read_coordinate` from a string or a number alike."""

    __slots__ = ()


_STATUS_WORDS = {"up": "Up", "true": "Up", "1": "Up", "down": "Down", "false": "Down", "0": "Down"}


def read_status(value: object) -> str:
    """ "Up" or "Down"; ASSUMPTION: a missing status is "Down" (never connected), and an
    unknown word is kept as it came (and is not up)."""
    if value is True:
        return "Up"
    if value is None or value is False:
        return "Down"
    text = str(value)
    return _STATUS_WORDS.get(text.strip().lower(), text)


def read_coordinate(value: object) -> Coordinate | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Coordinate(value if isinstance(value, str) else str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


class Device(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True):
    """A managed device (CPE). Fields of the list shape are always present; fields only the
    detail shape carries (`unique_identifier` ... `debug`) are None in a list answer.
    The field order is the cache form's, which ends with `pending_settings` and `extra`."""

    id: Int64
    uuid: str | None = None
    name: str = ""
    customer_id: str | None = None
    is_active: bool = False
    status: str = "Down"
    status_change: Moment | None = None
    type: Int64 | None = None
    type_short_name: str | None = None
    software_version: str | None = None
    hardware_version: str | None = None
    manufacturer: str | None = None
    serial_number: str = ""
    serial_number_alt: str | None = None
    description: str | None = None
    organization_id: Int64 | None = None
    location_name: str | None = None
    location: Int64 | None = None
    location_short_name: str | None = None
    latitude: Coordinate | None = None
    longitude: Coordinate | None = None
    address: str | None = None
    last_connection: Moment | None = None
    last_configuration: Moment | None = None
    created: Moment | None = None
    last_change: Moment | None = None
    unique_identifier: str | None = None
    product_class: str | None = None
    firmware_image: Int64 | None = None
    firmware_image_is_pending: bool | None = None
    username: str | None = None
    update_frequency: Int64 | None = None
    debug: bool | None = None
    pending_settings: PendingSettings = NONE_PENDING
    extra: Mapping[str, Any] = EMPTY

    def __post_init__(self) -> None:
        # Decoded JSON may hold any status word, and `extra` as a plain dict.
        status = self.status
        if status != "Up" and status != "Down":
            msgspec.structs.force_setattr(self, "status", read_status(status))
        extra = self.extra
        if extra.__class__ is dict:
            msgspec.structs.force_setattr(self, "extra", frozen(extra) if extra else EMPTY)

    def __repr__(self) -> str:
        # `extra` is left out: nested upstream data may hold credentials.
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _DEVICE_NAMES[:-1])
        return f"Device({shown})"

    @property
    def is_up(self) -> bool:
        return self.status == "Up"

    @classmethod
    def from_api(cls, raw: Mapping) -> Device:
        """Normalise a device from either the list or the detail answer."""
        get = require_mapping(raw, "a device").get
        values = [
            value if value.__class__ in as_is else read(value)
            for name, as_is, read in _DEVICE_READERS
            for value in (get(name),)
        ]
        if values[0] is None:
            raise ValueError("a device without an id")
        return cls(*values, extra_fields(raw, _DEVICE_KEYS))

    def to_cache(self) -> dict[str, Any]:
        """The cache form as JSON-able data (times as RFC 3339, coordinates as text)."""
        return msgspec.to_builtins(self, enc_hook=_encode_other)

    @classmethod
    def from_cache(cls, data: Mapping[str, Any]) -> Device:
        """The reverse of to_cache; keys missing from an older entry read as defaults."""
        return msgspec.convert(data, cls, dec_hook=decode_other)


def _str_or_empty(value: object) -> str:
    return read_str(value) or ""


def _flag(value: object) -> bool:
    return bool(read_bool(value))


_NONE = type(None)
# How the normaliser reads each field: a value of one of the classes listed (the
# well-formed common case) is taken as it is, anything else goes through the reader.
_AS_IS_OR_READ = {
    "id": (frozenset({int}), read_int),
    "str": (frozenset({str, _NONE}), read_str),
    "text": (frozenset({str}), _str_or_empty),
    "flag": (frozenset({bool}), _flag),
    "status": (frozenset(), read_status),
    "time": (frozenset({_NONE}), read_datetime),
    "int": (frozenset({int, _NONE}), read_int),
    "coordinate": (frozenset({_NONE}), read_coordinate),
    "bool": (frozenset({bool, _NONE}), read_bool),
    "pending": (frozenset(), parse_pending_settings),
}
_DEVICE_KINDS = (
    ("id", "id"), ("uuid", "str"), ("name", "text"), ("customer_id", "str"),
    ("is_active", "flag"), ("status", "status"), ("status_change", "time"), ("type", "int"),
    ("type_short_name", "str"), ("software_version", "str"), ("hardware_version", "str"),
    ("manufacturer", "str"), ("serial_number", "text"), ("serial_number_alt", "str"),
    ("description", "str"), ("organization_id", "int"), ("location_name", "str"),
    ("location", "int"), ("location_short_name", "str"), ("latitude", "coordinate"),
    ("longitude", "coordinate"), ("address", "str"), ("last_connection", "time"),
    ("last_configuration", "time"), ("created", "time"), ("last_change", "time"),
    ("unique_identifier", "str"), ("product_class", "str"), ("firmware_image", "int"),
    ("firmware_image_is_pending", "bool"), ("username", "str"), ("update_frequency", "int"),
    ("debug", "bool"), ("pending_settings", "pending"),
)  # fmt: skip
_DEVICE_READERS = tuple((name, *_AS_IS_OR_READ[kind]) for name, kind in _DEVICE_KINDS)
_DEVICE_NAMES = Device.__struct_fields__
# A device password the upstream echoes is known, so that it is dropped, never kept in
# `extra`.
_DEVICE_KEYS = frozenset(_DEVICE_NAMES[:-1]) | {"password"}


# The fields only the detail answer carries (None in a list answer, and so in a polled row).
DETAIL_ONLY_FIELDS = (
    "unique_identifier",
    "product_class",
    "serial_number_alt",
    "firmware_image",
    "firmware_image_is_pending",
    "username",
    "update_frequency",
    "last_change",
    "debug",
)


def has_detail_fields(device: Device) -> bool:
    """Whether `device` came from a detail answer (a list answer lacks `update_frequency`
    and `last_change`; a device has at least one of them once the upstream stored it)."""
    return device.update_frequency is not None or device.last_change is not None


# --- the cache form: msgspec both ways -------------------------------------------


def decode_other(kind: type, value: Any) -> Any:
    """The record's own types, read by the normaliser's readers (msgspec dec_hook)."""
    if kind is PendingSettings:
        return parse_pending_settings(value)
    if kind is Coordinate:
        return read_coordinate(value)
    raise NotImplementedError(kind)


def _encode_other(value: Any) -> Any:
    # Called for every device's `extra` (mostly the empty one) and coordinates: the
    # cheapest checks first.
    if value is EMPTY:
        return _NO_EXTRA
    if value.__class__ is MappingProxyType:
        return value.copy()  # nested read-only values come back here
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return thawed(value)
    raise NotImplementedError(type(value))


_NO_EXTRA: dict[str, Any] = {}


encode_device = msgspec.json.Encoder(enc_hook=_encode_other).encode
decode_device = msgspec.json.Decoder(Device, dec_hook=decode_other).decode


class CacheRow(NamedTuple):
    """A device as a full poll stores it: the record, for its index entry, and its
    cache form (`encode_device`), its row."""

    device: Any
    json: bytes


class UnstorableDevice(ValueError):
    """A device record the dashboard cannot store: not an object, no id, or a value its
    cache cannot hold (an integer beyond 64 bits, text that is not Unicode). The
    poller sets such a record aside and stores the rest of the fleet."""

    def __init__(self, device_id: int | None, reason: str):
        super().__init__(f"id {device_id}: {reason}" if device_id is not None else reason)
        self.device_id = device_id
        self.reason = reason


def storable_row(device: Device) -> bytes:
    """A device's row as the read model stores it, or UnstorableDevice naming the fields
    it cannot hold. The row is read back once, so that what is stored always reads."""
    try:
        row = encode_device(device)
        decode_device(row)
    except (UnicodeEncodeError, msgspec.ValidationError):
        raise UnstorableDevice(device.id, _unstorable_reason(device)) from None
    return row


def _unstorable_reason(device: Device) -> str:
    said = []
    for name in _DEVICE_NAMES:
        value = getattr(device, name)
        if isinstance(value, int) and not isinstance(value, bool):
            storable = -(2**63) <= value < 2**63
        else:
            try:
                encode_device(value)
                storable = True
            except (UnicodeEncodeError, TypeError):
                storable = False
        if not storable:
            what = (
                "a number" if isinstance(value, int | float)
                else "text" if isinstance(value, str)
                else "a value"
            )  # fmt: skip
            said.append(f"{name} is not {what} the dashboard can store")
    return " and ".join(said) or "it is not a record the dashboard can store"
