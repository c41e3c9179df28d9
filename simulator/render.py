"""Devices as the upstream writes them: the list shape and the detail shape.

The password is stored on the device and never written here.
"""

from simulator import catalog
from simulator.fleet import Device, iso

_LOCATIONS_BY_ID = {loc.id: loc for loc in catalog.LOCATIONS}


def pending_settings(device: Device, detailed: bool) -> str | None:
    """Comma-separated entries; with `pending=true` each entry carries its value.

    Assumption (the reference shows both forms): list pages without `pending=true`
    give bare names ("firmware_update,reboot_scheduled"); with it, `name:value`
    where an entry has a value ("reboot_scheduled:2024-01-16T02:00:00Z").
    """
    if not device.pending:
        return None
    if not detailed:
        return ",".join(op.name for op in device.pending)
    return ",".join(
        op.name if op.value is None else f"{op.name}:{op.value}" for op in device.pending
    )


def list_item(device: Device, detailed_pending: bool) -> dict:
    dtype = catalog.DEVICE_TYPES_BY_ID[device.type_id]
    location = _LOCATIONS_BY_ID.get(device.location_id) if device.location_id else None
    record = {
        "id": device.id,
        "uuid": device.uuid,
        "name": device.name,
        "customer_id": device.customer_id,
        "is_active": device.is_active,
        "status": "Up" if device.up else "Down",
        "status_change": iso(device.status_change),
        "type": device.type_id,
        "type_short_name": dtype.short_name,
        "software_version": device.software_version,
        "hardware_version": device.hardware_version,
        "manufacturer": device.manufacturer,
        "serial_number": device.serial_number,
        "description": device.description,
        "organization_id": device.organization_id,
        "location_name": device.location_name,
        "location": device.location_id,
        "location_short_name": location.short_name if location else None,
        "latitude": device.latitude,
        "longitude": device.longitude,
        "address": device.address,
        "last_connection": iso(device.last_connection),
        "last_configuration": iso(device.last_configuration),
        "created": iso(device.created),
        "pending_settings": pending_settings(device, detailed_pending),
    }
    if device.answered:
        record.update((k, v) for k, v in device.answered.items() if k in record)
    return record


def detail(device: Device, detailed_pending: bool) -> dict:
    record = list_item(device, detailed_pending)
    record.update(
        {
            "unique_identifier": device.unique_identifier,
            "product_class": device.product_class,
            "serial_number_alt": device.serial_number_alt,
            "firmware_image": device.firmware_image,
            "firmware_image_is_pending": device.firmware_image_is_pending,
            "username": device.username,
            "update_frequency": device.update_frequency,
            "last_change": iso(device.last_change),
            "debug": device.debug,
        }
    )
    record.update(device.answered)
    return record
