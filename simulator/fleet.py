"""Deterministic generation of the simulated fleet.

Every device is drawn from its own random stream (seed, index), so the same seed
and device count always give the same fleet, and a smaller fleet is a prefix of a
larger one. Times are generated as offsets before an anchor (the moment of the
reset), so the fleet always looks current; only the anchor differs between runs.
"""

import random
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate
from types import MappingProxyType

from simulator import catalog

FIRST_DEVICE_ID = 1001
NEVER_CONNECTED_SHARE = 0.02
FLAPPER_EVERY = 200  # one device in 200 flaps
DOWN_SHARE = 0.05
SCHEDULED_WORK_SHARE = 0.015

DAY = 86400.0
NO_FIELDS = MappingProxyType({})  # the answered fields of a device that has none

_OUI = {
    "Zequenze Systems": "00259E",
    "Norlink Networks": "A4C3F0",
    "Aurora Broadband": "3C8BFE",
    "Meridian Wireless": "70B3D5",
    "Kestrel Mobile": "58D9C3",
}


@dataclass
class PendingOp:
    """One entry of `pending_settings`: work queued for a device until it confirms."""

    name: str  # the entry name shown upstream, e.g. "reboot_scheduled"
    value: str | None  # the detail shown with pending=true, e.g. a due time
    due_at: float  # epoch seconds at which the device confirms it
    kind: str  # which effect applies when done (reboot, firmware, debug, ...)
    argument: object = None  # the effect's argument (firmware image id, debug flag)


@dataclass(slots=True)
class Device:
    id: int
    uuid: str
    name: str
    customer_id: str | None
    is_active: bool
    up: bool
    status_change: float | None
    type_id: int
    software_version: str | None
    hardware_version: str | None
    manufacturer: str | None
    serial_number: str
    serial_number_alt: str | None
    description: str | None
    organization_id: int
    location_name: str | None
    location_id: int | None
    latitude: str | None
    longitude: str | None
    address: str | None
    last_connection: float | None
    last_configuration: float | None
    last_change: float | None
    created: float
    unique_identifier: str | None
    product_class: str | None
    firmware_image: int | None
    firmware_image_is_pending: bool
    username: str | None
    password: str | None  # stored, never rendered
    update_frequency: int | None
    debug: bool
    flapper: bool = False
    # Both are shared empty values until a device has some (replaced, never changed in
    # place): an empty list and dict per device would be 120 MB of a million devices.
    pending: Sequence[PendingOp] = ()
    # Values its records carry as they are, whatever they are (`/_sim/devices/{id}/fields`):
    # an upstream that stored them unchecked, for tests of what the dashboard survives.
    answered: Mapping = field(default_factory=lambda: NO_FIELDS)

    @property
    def connected_once(self) -> bool:
        return self.last_connection is not None


def _coordinate(value: float) -> str:
    return f"{value:.4f}"


def _device_rng(seed: int, index: int) -> random.Random:
    return random.Random(seed * 1_000_003 + index)


# Random.choices with cum_weights draws exactly what it draws with the weights they
# accumulate; computed once instead of once per device.
@cache
def _cumulative(weights: tuple[float, ...]) -> list[float]:
    return list(accumulate(weights))


# One string per type and location, shared by their devices (a million copies otherwise).
@cache
def _description(product_class: str, location: str) -> str:
    return f"{product_class} at {location}"


def generate_device(
    seed: int, index: int, anchor: float, organizations: tuple[catalog.Organization, ...]
) -> Device:
    rng = _device_rng(seed, index)
    device_id = FIRST_DEVICE_ID + index
    org = rng.choices(
        organizations, cum_weights=_cumulative(tuple(o.weight for o in organizations))
    )[0]
    types = catalog.DEVICE_TYPES
    dtype = rng.choices(types, cum_weights=_cumulative(tuple(t.weight for t in types)))[0]
    loc = rng.choice(catalog.LOCATIONS_BY_ORG[org.id])
    created = anchor - rng.uniform(30 * DAY, 3 * 365 * DAY)
    created_year = 1970 + int(created // (365.2425 * DAY))
    serial = f"{dtype.serial_prefix}{created_year % 100:02d}{device_id:07d}"
    device = Device(
        id=device_id,
        uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        name=f"{dtype.name_prefix}-{loc.short_name.upper().replace('_', '-')}-{device_id:06d}",
        customer_id=f"CUST-{created_year}-{device_id:06d}",
        is_active=True,
        up=True,
        status_change=None,
        type_id=dtype.id,
        software_version=None,
        hardware_version=None,
        manufacturer=None,
        serial_number=serial,
        serial_number_alt=f"ALT-{serial}" if rng.random() < 0.3 else None,
        description=_description(dtype.product_class, loc.name),
        organization_id=org.id,
        location_name=loc.name,
        location_id=loc.id,
        latitude=_coordinate(loc.latitude + rng.uniform(-0.02, 0.02)),
        longitude=_coordinate(loc.longitude + rng.uniform(-0.02, 0.02)),
        address=None,
        last_connection=None,
        last_configuration=None,
        last_change=created,
        created=created,
        unique_identifier=None,
        product_class=None,
        firmware_image=None,
        firmware_image_is_pending=False,
        username=f"cwmp-{device_id}",
        password=f"{rng.getrandbits(64):016x}",
        update_frequency=rng.choice((300, 300, 600, 900, 3600)),
        debug=False,
    )
    if rng.random() < NEVER_CONNECTED_SHARE:
        # Pre-provisioned, never seen: no versions, no address, no connection times.
        device.is_active = False
        device.up = False
        return device

    firmware = dtype.firmware
    image = rng.choices(firmware, cum_weights=_cumulative(tuple(range(1, len(firmware) + 1))))[0]
    device.software_version = image.version
    device.firmware_image = image.id
    device.hardware_version = rng.choice(dtype.hardware_versions)
    device.manufacturer = dtype.manufacturer
    device.product_class = dtype.product_class
    device.unique_identifier = f"{_OUI[dtype.manufacturer]}-{dtype.product_class}-{serial}"
    device.address = f"10.{(device_id >> 16) & 255}.{(device_id >> 8) & 255}.{device_id & 255}"
    device.debug = rng.random() < 0.005
    device.is_active = rng.random() > 0.01
    # Flappers are spread evenly over the ids, so even a small fleet has a few.
    device.flapper = index % FLAPPER_EVERY == FLAPPER_EVERY // 2
    device.up = rng.random() > DOWN_SHARE
    age = anchor - created
    if device.up:
        device.status_change = anchor - min(rng.expovariate(1 / (4 * DAY)), age)
        device.last_connection = anchor - rng.uniform(0, device.update_frequency)
    else:
        device.status_change = anchor - min(rng.expovariate(1 / (1.5 * DAY)), age)
        device.last_connection = device.status_change - rng.uniform(0, device.update_frequency)
    device.last_connection = max(device.last_connection, created)
    device.last_configuration = anchor - min(rng.uniform(3600, 60 * DAY), age)
    device.last_change = max(device.last_configuration, device.status_change)
    if rng.random() < SCHEDULED_WORK_SHARE:
        due = anchor + rng.uniform(2 * 3600, 30 * 3600)
        device.pending = [PendingOp("reboot_scheduled", iso(due), due, "reboot")]
    return device


def generate_devices(
    seed: int, count: int, anchor: float, organizations: tuple[catalog.Organization, ...]
) -> list[Device]:
    return [generate_device(seed, index, anchor, organizations) for index in range(count)]


def iso(epoch: float | None) -> str | None:
    """Epoch seconds as the upstream writes times: UTC, whole seconds, a trailing Z."""
    if epoch is None:
        return None
    t = time.gmtime(epoch)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"
        f"T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}Z"
    )
