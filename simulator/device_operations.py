"""Operational records: PUT /inventory_device_operation/{id}/ ({id} is the device id).

Assumptions: one operational record per device, created on first use as "active";
fields a PUT leaves out keep their value; the lifecycle is
active <-> maintenance, active|maintenance -> decommissioned, nothing out of
decommissioned (400 on `operational_status`).
"""

from simulator import catalog
from simulator.errors import ApiError, bad_request
from simulator.fleet import Device, iso
from simulator.params import parse_timestamp
from simulator.state import SimulatorState

STATUSES = ("active", "maintenance", "decommissioned")
TRANSITIONS = {
    "active": {"active", "maintenance", "decommissioned"},
    "maintenance": {"maintenance", "active", "decommissioned"},
    "decommissioned": {"decommissioned"},
}
NEWER_FIELDS = (
    "operational_status",
    "assigned_user",
    "location",
    "maintenance_notes",
    "configuration",
    "next_maintenance",
)
OLDER_FIELDS = (
    "status",
    "device_id",
    "operator_id",
    "description",
    "started_at",
    "completed_at",
    "notes",
    "operation_type",
)
_TEXT_FIELDS = (
    "assigned_user",
    "location",
    "maintenance_notes",
    "status",
    "operator_id",
    "description",
    "notes",
    "operation_type",
)
_TIME_FIELDS = ("next_maintenance", "started_at", "completed_at")


def _record(state: SimulatorState, device: Device) -> dict:
    record = state.operational.get(device.id)
    if record is None:
        record = {
            "operational_status": "active",
            "assigned_user": None,
            "location": device.location_name,
            "maintenance_notes": None,
            "configuration": {},
            "next_maintenance": None,
            "last_updated": iso(device.created),
            "updated_by": None,
            "operational_history": [],
        }
        state.operational[device.id] = record
    return record


def _validate(body: dict, current_status: str) -> None:
    errors: dict[str, list[str]] = {}
    for name in body:
        if name not in NEWER_FIELDS and name not in OLDER_FIELDS:
            errors[name] = ["Unknown field."]
    status = body.get("operational_status")
    if "operational_status" in body:
        if status not in STATUSES:
            errors["operational_status"] = [
                f'"{status}" is not a valid choice: use {", ".join(STATUSES)}.'
            ]
        elif status not in TRANSITIONS[current_status]:
            errors["operational_status"] = [
                f"A device cannot go from {current_status} to {status}."
            ]
    for name in _TEXT_FIELDS:
        if body.get(name) is not None and not isinstance(body[name], str):
            errors[name] = ["Not a valid string."]
    # A string, as the contract's example ("DEV-001"); a bool is not an identifier even
    # though Python counts it as an int.
    if body.get("device_id") is not None and not isinstance(body["device_id"], str):
        errors["device_id"] = ["Not a valid string."]
    if "configuration" in body and not isinstance(body["configuration"], dict):
        errors["configuration"] = ["Expected an object."]
    for name in _TIME_FIELDS:
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            errors[name] = ["Datetime has wrong format. Use ISO-8601 with a UTC offset."]
            continue
        try:
            parse_timestamp(name, value)
        except ApiError as error:
            errors.update(error.body)
    if errors:
        raise bad_request(errors)


def update(state: SimulatorState, device: Device, body: dict) -> dict:
    record = _record(state, device)
    _validate(body, record["operational_status"])
    now = iso(state.now())
    performed_by = body.get("operator_id") or "api"
    previous = record["operational_status"]
    new_status = body.get("operational_status", previous)
    for name in ("assigned_user", "location", "maintenance_notes", "next_maintenance"):
        if name in body:
            record[name] = body[name]
    if "configuration" in body:
        record["configuration"] = dict(body["configuration"])
    if "notes" in body and "maintenance_notes" not in body:
        record["maintenance_notes"] = body["notes"]
    record["operational_status"] = new_status
    record["last_updated"] = now
    record["updated_by"] = performed_by
    record["operational_history"].append(
        {
            "timestamp": now,
            "action": "status_change" if new_status != previous else "update",
            "from_status": previous,
            "to_status": new_status,
            "performed_by": performed_by,
        }
    )
    return answer(state, device, record)


def answer(state: SimulatorState, device: Device, record: dict) -> dict:
    org_names = {org.id: org.name for org in state.organizations}
    configuration = dict(record["configuration"])
    configuration.setdefault("firmware_version", device.software_version)
    return {
        "id": device.id,
        "device_name": device.name,
        "serial_number": device.serial_number,
        "device_type": catalog.DEVICE_TYPES_BY_ID[device.type_id].short_name,
        "operational_status": record["operational_status"],
        "location": record["location"],
        "assigned_user": record["assigned_user"],
        "organization": org_names.get(device.organization_id),
        "configuration": configuration,
        "maintenance_notes": record["maintenance_notes"],
        "next_maintenance": record["next_maintenance"],
        "last_updated": record["last_updated"],
        "updated_by": record["updated_by"],
        "operational_history": list(record["operational_history"]),
    }
