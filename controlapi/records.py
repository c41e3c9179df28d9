"""Upstream records, normalised at this one boundary.

Whatever upstream version answered (the reference pages show an older and a
newer shape of several records), the rest of the dashboard sees one frozen
record per thing, with:

- timestamps as timezone-aware datetimes (ISO-8601 with "Z" or an offset;
  ASSUMPTION: a timestamp without an offset is UTC);
- coordinates as Decimal (the upstream sends decimal strings);
- a missing field, a null and a value that cannot be read all as None
  (a device that never connected has no versions or timestamps) -- a record
  without an id is not a record, and raises ValueError;
- fields this module does not know kept in `extra`, except credential-like
  ones, which are dropped;
- never a password: a device password the upstream echoes is dropped.

Nested data the dashboard only shows (profile configuration and health,
operation parameters) is kept as read-only mappings and tuples, and left out of
repr() because it may hold credentials; `looks_secret(key)` is the one rule the
pages use to mask such values.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Annotated, Any, Literal, NamedTuple

import msgspec
import orjson

from controlapi.pages import Page

log = logging.getLogger("controlapi")

__all__ = [
    "CacheRow",
    "Device",
    "UnstorableDevice",
    "DeviceOperation",
    "HeadlessDeviceStatus",
    "HeadlessOperation",
    "OperationalHistoryEntry",
    "Page",
    "PendingSetting",
    "Profile",
    "device_cache_from_api",
    "device_list_from_json",
    "looks_secret",
    "parse_pending_settings",
    "storable_row",
]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _empty() -> Mapping[str, Any]:
    return _EMPTY


# A key containing any of these (case-insensitive) holds a credential.
_SECRET_MARKERS = (
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "credential",
    "private_key",
    "auth_key",
)


def looks_secret(key: object) -> bool:
    """Whether a field name looks like it holds a credential (masked in pages, never logged)."""
    lowered = str(key).lower()
    return any(marker in lowered for marker in _SECRET_MARKERS)


# --- value readers: None for missing, null or unreadable -------------------------


def _datetime(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(value)  # 3.11 reads "Z" and offsets
        except (TypeError, ValueError):
            return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(value if isinstance(value, str) else str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _int(value: object) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite float
        return None


def _bool(value: object) -> bool | None:
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


def _str(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(value)


def _frozen(value: object) -> Any:
    """JSON data as read-only data: mappings become MappingProxyType, lists tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): _frozen(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def _thawed(value: object) -> Any:
    """The reverse of _frozen, for JSON."""
    if isinstance(value, Mapping):
        return {k: _thawed(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_thawed(v) for v in value]
    return value


def _mapping(value: object) -> Mapping[str, Any]:
    return _frozen(value) if isinstance(value, Mapping) else _EMPTY


def _extra(raw: Mapping, known: frozenset[str]) -> Mapping[str, Any]:
    if known.issuperset(raw):  # the common case, without building a set
        return _EMPTY
    unknown = raw.keys() - known
    return MappingProxyType(
        {key: _frozen(raw[key]) for key in sorted(unknown) if not looks_secret(key)}
    )


def _require_mapping(raw: object, what: str) -> Mapping:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{what} must be a JSON object, not {type(raw).__name__}")
    return raw


# --- pending settings ----------------------------------------------------------


class PendingSetting(NamedTuple):
    """One change the upstream is still waiting for the device to confirm. (A tuple:
    its cache form is the pair [name, value], which is how it encodes as JSON.)"""

    name: str
    value: str | None = None


def parse_pending_settings(text: object) -> tuple[PendingSetting, ...]:
    """Parse `pending_settings`: null or a comma-separated list of `name` or `name:value`.

    Values may contain ":" (timestamps such as `reboot_scheduled:2024-01-16T02:00:00Z`),
    so an entry is split on its first ":" only. Spaces around names and values are
    stripped; empty entries and entries without a name are ignored; an empty value
    (`name:`) is None.

    ASSUMPTION (tolerance): an upstream that answers a JSON list of such strings, or
    an object of name -> value, is read the same way.
    """
    if not text:
        return ()
    if isinstance(text, Mapping):
        entries = (f"{name}:{'' if value is None else value}" for name, value in text.items())
    elif isinstance(text, list | tuple):
        entries = (str(entry) for entry in text)
    else:
        entries = str(text).split(",")
    settings = []
    for entry in entries:
        name, _, value = entry.partition(":")
        name = name.strip()
        if name:
            settings.append(PendingSetting(name, value.strip() or None))
    return tuple(settings)


# --- devices -------------------------------------------------------------------

_UP = {"up": "Up", "true": "Up", "1": "Up", "down": "Down", "false": "Down", "0": "Down"}


def _status(value: object) -> str:
    """ "Up" or "Down"; ASSUMPTION: a missing status is "Down" (never connected), and an
    unknown word is kept as it came (and is not up)."""
    if value is True:
        return "Up"
    if value is None or value is False:
        return "Down"
    text = str(value)
    return _UP.get(text.strip().lower(), text)


def _str_or_empty(value: object) -> str:
    return _str(value) or ""


def _flag(value: object) -> bool:
    return bool(_bool(value))


@dataclass(frozen=True, slots=True)
class Device:
    """A managed device (CPE). Fields of the list shape are always present; fields only the
    detail shape carries (`unique_identifier` ... `debug`) are None in a list answer."""

    id: int
    uuid: str | None = None
    name: str = ""
    customer_id: str | None = None
    is_active: bool = False
    status: str = "Down"
    status_change: datetime | None = None
    type: int | None = None
    type_short_name: str | None = None
    software_version: str | None = None
    hardware_version: str | None = None
    manufacturer: str | None = None
    serial_number: str = ""
    serial_number_alt: str | None = None
    description: str | None = None
    organization_id: int | None = None
    location_name: str | None = None
    location: int | None = None
    location_short_name: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    address: str | None = None
    last_connection: datetime | None = None
    last_configuration: datetime | None = None
    created: datetime | None = None
    last_change: datetime | None = None
    unique_identifier: str | None = None
    product_class: str | None = None
    firmware_image: int | None = None
    firmware_image_is_pending: bool | None = None
    username: str | None = None
    update_frequency: int | None = None
    debug: bool | None = None
    pending_settings: tuple[PendingSetting, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=_empty, repr=False)

    @property
    def is_up(self) -> bool:
        return self.status == "Up"

    @classmethod
    def from_api(cls, raw: Mapping) -> Device:
        """Normalise a device from either the list or the detail answer."""
        return _new_device(_device_fields(raw).values())

    def to_cache(self) -> dict[str, Any]:
        """A JSON-able dict: datetimes as ISO-8601 strings, Decimals as strings.

        Written out field by field (no dataclasses.asdict, no loops over fields): on a
        fleet of real records a dict display beats every generic form we measured. A
        test checks it has every field, in field order.
        """
        return {
            "id": self.id,
            "uuid": self.uuid,
            "name": self.name,
            "customer_id": self.customer_id,
            "is_active": self.is_active,
            "status": self.status,
            "status_change": _iso(self.status_change),
            "type": self.type,
            "type_short_name": self.type_short_name,
            "software_version": self.software_version,
            "hardware_version": self.hardware_version,
            "manufacturer": self.manufacturer,
            "serial_number": self.serial_number,
            "serial_number_alt": self.serial_number_alt,
            "description": self.description,
            "organization_id": self.organization_id,
            "location_name": self.location_name,
            "location": self.location,
            "location_short_name": self.location_short_name,
            "latitude": None if self.latitude is None else str(self.latitude),
            "longitude": None if self.longitude is None else str(self.longitude),
            "address": self.address,
            "last_connection": _iso(self.last_connection),
            "last_configuration": _iso(self.last_configuration),
            "created": _iso(self.created),
            "last_change": _iso(self.last_change),
            "unique_identifier": self.unique_identifier,
            "product_class": self.product_class,
            "firmware_image": self.firmware_image,
            "firmware_image_is_pending": self.firmware_image_is_pending,
            "username": self.username,
            "update_frequency": self.update_frequency,
            "debug": self.debug,
            "pending_settings": [[s.name, s.value] for s in self.pending_settings],
            "extra": _thawed(self.extra) if self.extra else {},
        }

    @classmethod
    def from_cache(cls, data: Mapping[str, Any]) -> Device:
        """The reverse of to_cache. Trusts its input (we wrote it): no tolerance work here.
        Keys missing from an older cache entry read as the field's default."""
        get = data.get
        values = [
            default if value is None else value if read is None else read(value)
            for name, default, read in _DEVICE_FROM_CACHE
            for value in (get(name),)
        ]
        values[0] = data["id"]
        return _new_device(values)


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


def device_cache_from_api(raw: Mapping) -> dict[str, Any]:
    """`Device.from_api(raw).to_cache()` in one step: the normalised cache dict straight
    from an upstream device record, for the poller, which stores every device's cache
    JSON on every poll. The same rules, checked at the same boundary (raises ValueError
    for a record that is not an object or has no id)."""
    data = _device_fields(raw)
    get = raw.get
    for name in _DEVICE_TIMES:
        moment = data[name]
        if moment is not None:
            data[name] = _iso_from_api(get(name), moment)
    for name in _DEVICE_DECIMALS:
        number = data[name]
        if number is not None:
            data[name] = str(number)
    data["pending_settings"] = [[s.name, s.value] for s in data["pending_settings"]]
    extra = data["extra"]
    data["extra"] = _thawed(extra) if extra else {}
    return data


class CacheRow(NamedTuple):
    """A device as a full poll stores it: the device, for its index entry, and its
    cache form (`Device.to_cache()`) as JSON, its row. The device is the compiled
    reader's record (a Device's fields with a Device's values, decimals as their
    text) or, from the general path, the cache dict itself (building a Device there
    too would double that path's cost)."""

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


def storable_row(fields: Mapping[str, Any]) -> bytes:
    """A cache dict's JSON as the read model stores it (orjson), or UnstorableDevice
    naming the fields it cannot hold. Only a failure pays for finding them."""
    try:
        return orjson.dumps(fields)
    except TypeError:
        raise UnstorableDevice(fields.get("id"), _unstorable_reason(fields)) from None


def _unstorable_reason(fields: Mapping[str, Any]) -> str:
    said = []
    for name, value in fields.items():
        try:
            orjson.dumps(value)
        except TypeError:
            what = (
                "a number" if isinstance(value, int | float)
                else "text" if isinstance(value, str)
                else "a value"
            )  # fmt: skip
            said.append(f"{name} is not {what} the dashboard can store")
    return " and ".join(said) or "it is not a record the dashboard can store"


def device_list_from_json(body: bytes) -> dict[str, Any] | None:
    """A device-list body read by a compiled decoder: its `count`, `next`, `previous` and
    `results`, each device a CacheRow; or None when the body is not the common
    well-formed case, which `device_cache_from_api` then reads.

    The poller reads the whole fleet this way on every full poll, and most of
    `device_cache_from_api`'s cost is checking, field by field in Python, that a value is
    of the class it is taken as (`_AS_IS_OR_READ`), and reading times. `_ListedDevice`
    declares those classes, and reads status and times itself where that gives what
    their readers give (`_LISTED_CLASSES`), so msgspec does that work while it
    decodes; decimals and pending settings go through their readers, and each device
    is encoded as it is, its fields being the cache form's in its order. It declines
    (None) a body that is not JSON, a device that has a value of another class in
    such a field, a field it does not know (those go to `extra`, or are dropped as
    credentials, by the general path) or no id, so that what it returns reads back
    (`Device.from_cache`) and indexes exactly as the general path's (a property test
    checks). Its times are written as msgspec writes them ("Z" for UTC).
    """
    try:
        answer = _LISTED_PAGE.decode(body)
    except msgspec.DecodeError as exc:  # ValidationError included
        _note_general_path(str(exc))
        return None
    rows = []
    for device in answer.results:
        for name, read in _DEVICE_LISTED_READERS:
            setattr(device, name, read(getattr(device, name)))
        # The cache form ends with `extra`, which a listed device has empty.
        rows.append(CacheRow(device, _encode_json(device)[:-1] + b',"extra":{}}'))
    return {"count": answer.count, "next": answer.next, "previous": answer.previous,
            "results": rows}  # fmt: skip


_encode_json = msgspec.json.Encoder().encode


_general_path_noted = False


def _note_general_path(reason: str) -> None:
    """Say once per process, at INFO, why a device-list body took the general path: an
    upstream whose records carry a field the contract does not name sends every page
    there (the same result at about three times the CPU), which operators should hear
    of."""
    global _general_path_noted
    if _general_path_noted:
        log.debug("device list read by the general path: %s", reason)
        return
    _general_path_noted = True
    log.info(
        "device list read by the general path (said once per process; later pages at DEBUG): %s",
        reason,
    )


# How each device field is read. One table, in the dataclass's field order (a test
# checks), from which from_api, to_cache, from_cache and device_cache_from_api are
# derived, so they cannot drift apart. The poller runs them for the whole fleet on
# every poll: a value already of a class listed here (the well-formed common case) is
# taken as it is, without a reader call.
_NONE_TYPE = type(None)
_AS_IS_OR_READ = {
    # kind: (classes taken as they are, reader of anything else)
    "id": (frozenset({int}), _int),
    "str": (frozenset({str, _NONE_TYPE}), _str),
    "text": (frozenset({str}), _str_or_empty),
    "flag": (frozenset({bool}), _flag),
    "status": (frozenset(), _status),
    "time": (frozenset({_NONE_TYPE}), _datetime),
    "int": (frozenset({int, _NONE_TYPE}), _int),
    "decimal": (frozenset({_NONE_TYPE}), _decimal),
    "bool": (frozenset({bool, _NONE_TYPE}), _bool),
    "pending": (frozenset(), parse_pending_settings),
}
_DEVICE_KINDS = (
    ("id", "id"), ("uuid", "str"), ("name", "text"), ("customer_id", "str"),
    ("is_active", "flag"), ("status", "status"), ("status_change", "time"), ("type", "int"),
    ("type_short_name", "str"), ("software_version", "str"), ("hardware_version", "str"),
    ("manufacturer", "str"), ("serial_number", "text"), ("serial_number_alt", "str"),
    ("description", "str"), ("organization_id", "int"), ("location_name", "str"),
    ("location", "int"), ("location_short_name", "str"), ("latitude", "decimal"),
    ("longitude", "decimal"), ("address", "str"), ("last_connection", "time"),
    ("last_configuration", "time"), ("created", "time"), ("last_change", "time"),
    ("unique_identifier", "str"), ("product_class", "str"), ("firmware_image", "int"),
    ("firmware_image_is_pending", "bool"), ("username", "str"), ("update_frequency", "int"),
    ("debug", "bool"), ("pending_settings", "pending"),
)  # fmt: skip
_DEVICE_READERS = tuple((name, *_AS_IS_OR_READ[kind]) for name, kind in _DEVICE_KINDS)
# The compiled reader's declaration of the same fields (`device_list_from_json`): a
# kind whose values are taken as they are has exactly those classes; status and times
# are read by msgspec itself, only where that gives what their readers give (the exact
# words "Up" and "Down"; a time with an offset); any other value goes to the general
# path. Decimals and pending settings are decoded as any JSON value and read by their
# readers (decimals into their text, as stored). A missing field reads as its reader
# reads a missing value; the id is required.
# Integers are bounded to 64 bits (msgspec reads larger ones; the store cannot hold
# them), so such a body takes the general path, which sets that device aside.
_INT64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
_LISTED_CLASSES = {"id": _INT64, "str": str | None, "text": str, "flag": bool, "int": _INT64 | None,
                   "bool": bool | None, "status": Literal["Up", "Down"],
                   "time": Annotated[datetime, msgspec.Meta(tz=True)] | None}  # fmt: skip


def _decimal_text(value: object) -> str | None:
    number = _decimal(value)
    return None if number is None else str(number)


_LISTED_READERS = {"decimal": _decimal_text, "pending": parse_pending_settings}
_DEVICE_LISTED_READERS = tuple(
    (name, _LISTED_READERS[kind]) for name, kind in _DEVICE_KINDS if kind in _LISTED_READERS
)
_ListedDevice = msgspec.defstruct(
    "_ListedDevice",
    [
        (name, _LISTED_CLASSES.get(kind, Any))
        if kind == "id"
        else (name, _LISTED_CLASSES.get(kind, Any), _AS_IS_OR_READ[kind][1](None))
        for name, kind in _DEVICE_KINDS
    ],
    forbid_unknown_fields=True,
)
_LISTED_PAGE = msgspec.json.Decoder(
    msgspec.defstruct(
        "_ListedPage",
        [
            ("results", list[_ListedDevice]),
            ("count", Any, None),
            ("next", Any, None),
            ("previous", Any, None),
        ],
    )
)
_DEVICE_NAMES = (*(name for name, _ in _DEVICE_KINDS), "extra")
_DEVICE_TIMES = tuple(name for name, kind in _DEVICE_KINDS if kind == "time")
_DEVICE_DECIMALS = tuple(name for name, kind in _DEVICE_KINDS if kind == "decimal")
# A device password the upstream echoes is known, so that it is dropped, never kept in
# `extra`.
_DEVICE_KEYS = frozenset(_DEVICE_NAMES[:-1]) | {"password"}


def _pending_from_cache(pairs) -> tuple[PendingSetting, ...]:
    return tuple(PendingSetting(n, v) for n, v in pairs)


def _extra_from_cache(extra) -> Mapping[str, Any]:
    return _frozen(extra) if extra else _EMPTY


_FROM_CACHE = {
    # kind: (value of a missing or null key, reader of a stored value or None: as it is)
    "text": ("", None),
    "flag": (False, None),
    "status": ("Down", None),
    "time": (None, datetime.fromisoformat),
    "decimal": (None, Decimal),
    "pending": ((), _pending_from_cache),
}
_DEVICE_FROM_CACHE = (
    *((name, *_FROM_CACHE.get(kind, (None, None))) for name, kind in _DEVICE_KINDS),
    ("extra", _EMPTY, _extra_from_cache),
)


def _device_fields(raw: Mapping) -> dict[str, Any]:
    """Every field of a device from an upstream record, normalised, in field order."""
    get = _require_mapping(raw, "a device").get
    data = {
        name: value if value.__class__ in as_is else read(value)
        for name, as_is, read in _DEVICE_READERS
        for value in (get(name),)
    }
    if data["id"] is None:
        raise ValueError("a device without an id")
    data["extra"] = _extra(raw, _DEVICE_KEYS)
    return data


# The slots' own setters: a frozen dataclass's __init__ sets each of its 35 fields
# through object.__setattr__ and was a third of the cost of reading a device. Values
# come from _device_fields or from_cache only, already normalised.
_DEVICE_SETTERS = tuple(getattr(Device, name).__set__ for name in _DEVICE_NAMES)


def _new_device(values: Iterable[Any]) -> Device:
    device = object.__new__(Device)
    for set_field, value in zip(_DEVICE_SETTERS, values, strict=True):
        set_field(device, value)
    return device


def _iso(moment: datetime | None) -> str | None:
    """moment.isoformat(); a UTC time without fractions (nearly every upstream time) is
    formatted directly: %-formatting takes about 60% of isoformat()'s time (an f-string
    with format specs is slower than both)."""
    if moment is None:
        return None
    if moment.tzinfo is UTC and not moment.microsecond:
        return "%04d-%02d-%02dT%02d:%02d:%02d+00:00" % (  # noqa: UP031 (see above)
            moment.year,
            moment.month,
            moment.day,
            moment.hour,
            moment.minute,
            moment.second,
        )
    return moment.isoformat()


def _iso_from_api(text: object, moment: datetime) -> str:
    """_iso(moment) for `moment` read from `text`. An upstream time written exactly as
    "YYYY-MM-DDTHH:MM:SSZ" (it parsed, so its digits are digits) is its own ISO form up
    to the offset, and needs no formatting."""
    if text.__class__ is str and len(text) == 20 and text[4::3] == "--T::Z" and text.isascii():
        return text[:19] + "+00:00"
    return _iso(moment)


def _from_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


# --- connection profiles -------------------------------------------------------

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
    configuration: Mapping[str, Any] = field(default_factory=_empty, repr=False)
    health_status: Mapping[str, Any] = field(default_factory=_empty, repr=False)
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
    extra: Mapping[str, Any] = field(default_factory=_empty, repr=False)

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
            data[name] = _iso(value) if isinstance(value, datetime) else _thawed(value)
        return data

    @classmethod
    def from_cache(cls, data: Mapping[str, Any]) -> Profile:
        """The reverse of to_cache; keys missing from an older entry read as defaults."""
        values = {name: data[name] for name in _PROFILE_FIELD_NAMES if name in data}
        for name in _PROFILE_DATETIMES:
            values[name] = _from_iso(values.get(name))
        for name in _PROFILE_MAPPINGS:
            values[name] = _mapping(values.get(name))
        return cls(**values)

    @classmethod
    def from_api(cls, raw: Mapping) -> Profile:
        get = _require_mapping(raw, "a connection profile").get
        profile_id = _int(get("id"))
        if profile_id is None:
            raise ValueError("a connection profile without an id")
        keys = raw.keys()
        # ASSUMPTION: a profile with none of the newer fields but some older one is "v1";
        # anything else (including a bare {id, name}) is read as the newer shape.
        shape = "v1" if not (keys & _PROFILE_V2_MARKERS) and (keys & _PROFILE_V1_MARKERS) else "v2"
        return cls(
            id=profile_id,
            name=_str(get("name")) or "",
            shape=shape,
            description=_str(get("description")),
            is_active=_bool(get("is_active")),
            created_at=_datetime(get("created_at")),
            updated_at=_datetime(get("updated_at")),
            created_by=_str(get("created_by")),
            ssl_enabled=_bool(get("ssl_enabled")),
            username=_str(get("username")),
            profile_type=_str(get("profile_type")),
            status=_str(get("status")),
            organization=_str(get("organization")),
            last_sync=_datetime(get("last_sync")),
            last_sync_status=_str(get("last_sync_status")),
            sync_frequency=_str(get("sync_frequency")),
            sync_record_count=_int(get("sync_record_count")),
            endpoint_url=_str(get("endpoint_url")),
            authentication_type=_str(get("authentication_type")),
            connection_timeout=_int(get("connection_timeout")),
            retry_attempts=_int(get("retry_attempts")),
            configuration=_mapping(get("configuration")),
            health_status=_mapping(get("health_status")),
            connection_type=_str(get("connection_type")),
            host=_str(get("host")),
            port=_int(get("port")),
            database=_str(get("database")),
            endpoint=_str(get("endpoint")),
            timeout=_int(get("timeout")),
            max_connections=_int(get("max_connections")),
            last_tested=_datetime(get("last_tested")),
            test_status=_str(get("test_status")),
            extra=_extra(raw, _PROFILE_KEYS),
        )


_PROFILE_FIELD_NAMES = tuple(f.name for f in fields(Profile))
_PROFILE_DATETIMES = ("created_at", "updated_at", "last_sync", "last_tested")
_PROFILE_MAPPINGS = ("configuration", "health_status", "extra")


# --- device operational records ------------------------------------------------


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
            timestamp=_datetime(get("timestamp")),
            action=_str(get("action")),
            from_status=_str(get("from_status")),
            to_status=_str(get("to_status")),
            performed_by=_str(get("performed_by")),
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
    configuration: Mapping[str, Any] = field(default_factory=_empty, repr=False)
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
    extra: Mapping[str, Any] = field(default_factory=_empty, repr=False)

    @classmethod
    def from_api(cls, raw: Mapping) -> DeviceOperation:
        get = _require_mapping(raw, "a device operation").get
        operation_id = _int(get("id"))
        if operation_id is None:
            raise ValueError("a device operation without an id")
        history = get("operational_history")
        return cls(
            id=operation_id,
            device_name=_str(get("device_name")),
            serial_number=_str(get("serial_number")),
            device_type=_str(get("device_type")),
            operational_status=_str(get("operational_status")),
            location=_str(get("location")),
            assigned_user=_str(get("assigned_user")),
            organization=_str(get("organization")),
            configuration=_mapping(get("configuration")),
            maintenance_notes=_str(get("maintenance_notes")),
            next_maintenance=_datetime(get("next_maintenance")),
            last_updated=_datetime(get("last_updated")),
            updated_by=_str(get("updated_by")),
            operational_history=tuple(
                OperationalHistoryEntry.from_api(entry)
                for entry in (history if isinstance(history, list) else ())
            ),
            operation_type=_str(get("operation_type")),
            status=_str(get("status")),
            device_id=_str(get("device_id")),
            operator_id=_str(get("operator_id")),
            description=_str(get("description")),
            started_at=_datetime(get("started_at")),
            completed_at=_datetime(get("completed_at")),
            notes=_str(get("notes")),
            created_at=_datetime(get("created_at")),
            updated_at=_datetime(get("updated_at")),
            extra=_extra(raw, _OPERATION_KEYS),
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
            online=_bool(get("online")),
            last_seen=_datetime(get("last_seen")),
            firmware_version=_str(get("firmware_version")),
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
    parameters: Mapping[str, Any] = field(default_factory=_empty, repr=False)
    device_status: HeadlessDeviceStatus | None = None
    extra: Mapping[str, Any] = field(default_factory=_empty, repr=False)

    @classmethod
    def from_api(cls, raw: Mapping) -> HeadlessOperation:
        get = _require_mapping(raw, "a headless operation").get
        transaction_id = _str(get("id"))
        if not transaction_id:
            raise ValueError("a headless operation without a transaction id")
        device_status = get("device_status")
        return cls(
            id=transaction_id,
            device_serial=_str(get("device_serial")),
            operation_type=_str(get("operation_type")),
            status=_str(get("status")),
            scheduled_time=_datetime(get("scheduled_time")),
            created_at=_datetime(get("created_at")),
            parameters=_mapping(get("parameters")),
            device_status=(
                HeadlessDeviceStatus.from_api(device_status)
                if isinstance(device_status, Mapping)
                else None
            ),
            extra=_extra(raw, _HEADLESS_KEYS),
        )
