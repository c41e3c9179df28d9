"""Device writes: POST (create), PUT (replace), PATCH (update + operation flags), DELETE.

Validation answers 400 with a field -> messages map. Read-only fields a client
echoes back (id, status, created...) are ignored, as DRF does; a field that is
neither writable nor read-only is an unknown operation and a 400.
"""

import re
import uuid
from decimal import Decimal

from simulator import catalog, operations
from simulator.errors import bad_request, conflict
from simulator.fleet import Device
from simulator.state import SimulatorState

REQUIRED = ("name", "serial_number", "type", "organization_id")  # assumption
# Writable fields and the value a PUT that leaves them out resets them to.
WRITABLE_DEFAULTS = {
    "name": None,
    "customer_id": None,
    "serial_number": None,
    "serial_number_alt": None,
    "type": None,
    "organization_id": None,
    "location_name": None,
    "latitude": None,
    "longitude": None,
    "description": None,
    "username": None,
    "password": None,
    "update_frequency": 300,
}
# Assumption: the password is write-only, so no client can echo it back; a PUT that
# leaves it out keeps it rather than wiping the device's credentials.
KEPT_BY_PUT = ("password",)
OPERATION_FIELDS = (
    "reboot",
    "factory",
    "device_factory",
    "sync",
    "reconf",
    "debug",
    "firmware_image",
    "firmware_image_is_pending",
)
# Every operation flag but the image id is a boolean.
BOOLEAN_OPERATION_FIELDS = tuple(f for f in OPERATION_FIELDS if f != "firmware_image")
READ_ONLY = {
    "id",
    "uuid",
    "is_active",
    "status",
    "status_change",
    "type_short_name",
    "software_version",
    "hardware_version",
    "manufacturer",
    "location",
    "location_short_name",
    "address",
    "last_connection",
    "last_configuration",
    "created",
    "pending_settings",
    "unique_identifier",
    "product_class",
    "last_change",
}
_MAX_TEXT = 255


def _text(errors: dict, name: str, value, required: bool = False) -> None:
    if value is None:
        if required:
            errors.setdefault(name, []).append("This field may not be null.")
        return
    if not isinstance(value, str):
        errors.setdefault(name, []).append("Not a valid string.")
    elif required and not value.strip():
        errors.setdefault(name, []).append("This field may not be blank.")
    elif len(value) > _MAX_TEXT:
        errors.setdefault(name, []).append(
            f"Ensure this field has no more than {_MAX_TEXT} characters."
        )


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_COORDINATE_PATTERNS = {
    "latitude": (re.compile(r"-?[0-9]{1,2}(\.[0-9]{1,6})?"), 90),
    "longitude": (re.compile(r"-?[0-9]{1,3}(\.[0-9]{1,6})?"), 180),
}
INTEGER_FIELDS = ("type", "organization_id", "update_frequency", "firmware_image")


def _coordinate(errors: dict, name: str, value) -> str | None:
    """A decimal string, as the upstream writes coordinates, within its range."""
    if value is None:
        return None
    pattern, limit = _COORDINATE_PATTERNS[name]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        errors.setdefault(name, []).append(
            'A decimal string is required, e.g. "40.7128" (up to 6 decimal places).'
        )
        return None
    if abs(Decimal(value)) > limit:
        errors.setdefault(name, []).append(f"Ensure this value is between -{limit} and {limit}.")
        return None
    return value


def _whole_numbers(body: dict) -> dict:
    """JSON 300.0 is the integer 300 (as JSON Schema and DRF read it)."""
    return {
        k: int(v) if k in INTEGER_FIELDS and isinstance(v, float) and v.is_integer() else v
        for k, v in body.items()
    }


def _validate_fields(
    state: SimulatorState, body: dict, *, full: bool, device: Device | None, allow_ops: bool
) -> tuple[dict, dict]:
    """(field changes, operations) from a body, or a 400 listing every problem."""
    body = _whole_numbers(body)
    errors: dict[str, list[str]] = {}
    for name in body:
        if name in WRITABLE_DEFAULTS or name in READ_ONLY:
            continue
        if name in OPERATION_FIELDS:
            if not allow_ops:
                errors[name] = ["Operations apply to existing devices (PATCH)."]
            continue
        errors[name] = ["Unknown field or operation."]
    if full:
        for name in REQUIRED:
            if name not in body:
                errors.setdefault(name, []).append("This field is required.")
    changes = {}
    for name, default in WRITABLE_DEFAULTS.items():
        if name in body:
            changes[name] = body[name]
        elif full and name not in KEPT_BY_PUT:
            changes[name] = default
    for name in ("name", "serial_number"):
        if name in changes:
            _text(errors, name, changes[name], required=True)
    for name in (
        "customer_id",
        "serial_number_alt",
        "location_name",
        "description",
        "username",
        "password",
    ):
        if name in changes:
            _text(errors, name, changes[name])
    if "type" in changes:
        value = changes["type"]
        if not _integer(value):
            errors.setdefault("type", []).append("A valid integer is required.")
        elif value not in catalog.DEVICE_TYPES_BY_ID:
            errors.setdefault("type", []).append(f'Invalid pk "{value}" - object does not exist.')
    if "organization_id" in changes:
        value = changes["organization_id"]
        known = {org.id for org in state.organizations}
        if not _integer(value):
            errors.setdefault("organization_id", []).append("A valid integer is required.")
        elif value not in known:
            errors.setdefault("organization_id", []).append(
                f'Invalid pk "{value}" - object does not exist.'
            )
    if "latitude" in changes:
        changes["latitude"] = _coordinate(errors, "latitude", changes["latitude"])
    if "longitude" in changes:
        changes["longitude"] = _coordinate(errors, "longitude", changes["longitude"])
    if "update_frequency" in changes:
        value = changes["update_frequency"]
        if value is not None and (not _integer(value) or value < 1):
            errors.setdefault("update_frequency", []).append(
                "Ensure this value is a whole number of seconds, at least 1."
            )
    serial = changes.get("serial_number")
    if isinstance(serial, str) and "serial_number" not in errors:
        owner = state.serials.get(serial)
        if owner is not None and (device is None or owner != device.id):
            errors.setdefault("serial_number", []).append(
                "inventory device with this serial number already exists."
            )
    ops = _validate_operations(body, errors, device) if allow_ops and device else {}
    if errors:
        raise bad_request(errors)
    return changes, ops


def _validate_operations(body: dict, errors: dict, device: Device) -> dict:
    ops = {}
    for flag in BOOLEAN_OPERATION_FIELDS:
        if flag in body and not isinstance(body[flag], bool):
            errors.setdefault(flag, []).append("Must be a valid boolean.")
    for flag in operations.FLAG_OPERATIONS:
        if body.get(flag) is True:
            ops[operations.FLAG_OPERATIONS[flag][1]] = None
    if isinstance(body.get("debug"), bool) and body["debug"] != device.debug:
        ops["debug"] = body["debug"]
    image = body.get("firmware_image", device.firmware_image)
    if "firmware_image" in body and image is not None:
        if not _integer(image) or image not in catalog.FIRMWARE_BY_ID:
            errors.setdefault("firmware_image", []).append(
                f'Invalid pk "{image}" - object does not exist.'
            )
            return ops
        if catalog.FIRMWARE_TYPE_BY_ID[image] != body.get("type", device.type_id):
            errors.setdefault("firmware_image", []).append(
                "This firmware image is not built for the device's type."
            )
            return ops
    if body.get("firmware_image_is_pending") is True:
        if image is None:
            errors.setdefault("firmware_image", []).append(
                "A firmware image is required to schedule a firmware update."
            )
        elif not (device.firmware_image_is_pending and image == device.firmware_image):
            ops["firmware"] = image
    return ops


def _apply_changes(device: Device, changes: dict, now: float) -> None:
    for name, value in changes.items():
        if name == "type":
            device.type_id = value
        elif name == "location_name":
            device.location_name = value
            location = catalog.LOCATIONS_BY_NAME.get(value) if value else None
            device.location_id = location.id if location else None
        else:
            setattr(device, name, value)
    device.last_change = now


def validate_new(state: SimulatorState, body: dict) -> dict:
    """The fields of a new device; raises a 400 on any problem."""
    changes, _ = _validate_fields(state, body, full=True, device=None, allow_ops=False)
    return changes


def create(state: SimulatorState, changes: dict) -> Device:
    """A new device from validated fields: inactive and Down until it first connects."""
    now = state.now()
    device = Device(
        id=state.next_id,
        uuid=_uuid(state),
        name="",
        customer_id=None,
        is_active=False,
        up=False,
        status_change=now,
        type_id=changes["type"],
        software_version=None,
        hardware_version=None,
        manufacturer=None,
        serial_number=changes["serial_number"],
        serial_number_alt=None,
        description=None,
        organization_id=changes["organization_id"],
        location_name=None,
        location_id=None,
        latitude=None,
        longitude=None,
        address=None,
        last_connection=None,
        last_configuration=None,
        last_change=now,
        created=now,
        unique_identifier=None,
        product_class=None,
        firmware_image=None,
        firmware_image_is_pending=False,
        username=None,
        password=None,
        update_frequency=300,
        debug=False,
    )
    _apply_changes(device, changes, now)
    state.add_device(device)
    return device


def _uuid(state: SimulatorState) -> str:
    return str(uuid.UUID(int=state.rng.getrandbits(128), version=4))


def validate_write(state: SimulatorState, device: Device, body: dict, *, full: bool):
    """(changes, operations) for a PUT (full) or PATCH; raises a 400 on any problem."""
    return _validate_fields(state, body, full=full, device=device, allow_ops=True)


def apply_write(state: SimulatorState, device: Device, changes: dict, ops: dict) -> None:
    old_org, old_type, old_serial = device.organization_id, device.type_id, device.serial_number
    _apply_changes(device, changes, state.now())
    if device.serial_number != old_serial:
        state.serials.pop(old_serial, None)
        state.serials[device.serial_number] = device.id
    if (device.organization_id, device.type_id) != (old_org, old_type):
        state.structure_changed()
    for kind, argument in ops.items():
        operations.queue(state, device, kind, argument)


def delete(state: SimulatorState, device: Device) -> None:
    """409 while work is pending on the device or a headless operation is scheduled."""
    if device.pending:
        names = ", ".join(op.name for op in device.pending)
        raise conflict(f"Device {device.id} has pending operations ({names}); try again later.")
    if operations.has_scheduled_headless(state, device.id):
        raise conflict(f"Device {device.id} has a scheduled headless operation.")
    state.remove_device(device.id)
