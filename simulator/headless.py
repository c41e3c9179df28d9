"""Headless operations: work scheduled by device serial, tracked by transaction id."""

from simulator.errors import ApiError, bad_request, field_error, not_found
from simulator.fleet import iso
from simulator.params import parse_timestamp
from simulator.state import SimulatorState

# Assumption: the reference names firmware_update and configuration_update ("...");
# the simulator also accepts reboot. Anything else is a 400.
OPERATION_TYPES = ("firmware_update", "configuration_update", "reboot")
_FIELDS = {"device_serial", "operation_type", "scheduled_time", "parameters"}


def create(state: SimulatorState, body: dict, allowed) -> dict:
    """Validate and schedule; `allowed(org_id)` raises a 403 outside the token."""
    errors: dict[str, list[str]] = {}
    for name in body:
        if name not in _FIELDS:
            errors[name] = ["Unknown field."]
    serial = body.get("device_serial")
    if not isinstance(serial, str) or not serial.strip():
        errors["device_serial"] = ["This field is required."]
    operation_type = body.get("operation_type")
    if operation_type not in OPERATION_TYPES:
        errors["operation_type"] = [
            f'"{operation_type}" is not a valid choice: use {", ".join(OPERATION_TYPES)}.'
        ]
    scheduled = body.get("scheduled_time")
    scheduled_at = None
    if not isinstance(scheduled, str):
        errors["scheduled_time"] = ["This field is required (ISO-8601 with a UTC offset)."]
    else:
        try:
            scheduled_at = parse_timestamp("scheduled_time", scheduled)
        except ApiError as error:
            errors.update(error.body)
    parameters = body.get("parameters", {})
    if not isinstance(parameters, dict):
        errors["parameters"] = ["Expected an object."]
    if errors:
        raise bad_request(errors)
    device_id = state.serials.get(serial)
    if device_id is None:
        raise not_found(f"No device with serial number {serial} in the inventory.")
    allowed(state.devices[device_id].organization_id)
    txn_id = f"txn_{state.next_txn}"
    state.next_txn += 1
    operation = {
        "id": txn_id,
        "device_id": device_id,
        "device_serial": serial,
        "operation_type": operation_type,
        "scheduled_at": scheduled_at,
        "scheduled_time": iso(scheduled_at),
        "created_at": iso(state.now()),
        "parameters": parameters,
    }
    state.headless[txn_id] = operation
    state.schedule(scheduled_at, "headless", txn_id)
    return {
        "id": txn_id,
        "device_serial": serial,
        "operation_type": operation_type,
        "status": "scheduled" if scheduled_at > state.now() else "completed",
        "scheduled_time": operation["scheduled_time"],
        "created_at": operation["created_at"],
        "parameters": parameters,
    }


def lookup(state: SimulatorState, txn_id: str | None, allowed) -> dict:
    """The one-item answer for ?id=txn_x.

    Assumption: without an id the answer is a 400, since the API cannot list a
    caller's transactions (whoever creates them keeps the ids).
    """
    if txn_id is None or not txn_id.strip():
        raise field_error(
            "id", "A transaction id is required: transactions cannot be listed without their ids."
        )
    operation = state.headless.get(txn_id)
    if operation is None:
        raise not_found(f"Transaction {txn_id} not found.")
    device = state.devices.get(operation["device_id"])
    if device is not None:
        allowed(device.organization_id)
    status = "scheduled" if operation["scheduled_at"] > state.now() else "completed"
    result = {
        "id": operation["id"],
        "device_serial": operation["device_serial"],
        "operation_type": operation["operation_type"],
        "status": status,
        "scheduled_time": operation["scheduled_time"],
        "created_at": operation["created_at"],
        "device_status": {
            "online": bool(device and device.up),
            "last_seen": iso(device.last_connection) if device else None,
            "firmware_version": device.software_version if device else None,
        },
    }
    return {"count": 1, "results": [result]}
