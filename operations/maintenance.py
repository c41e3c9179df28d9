"""The maintenance (operational) record of one device: PUT upstream, and the answer kept
(the API has no GET for it)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from accounts import tenancy
from devices import device_writes, field_changes, selectors
from devices.change_models import ChangedRecord
from maintenance_windows.services import sync_record_window
from operations.forms import MaintenanceForm, with_values
from operations.models import MaintenanceSnapshot

# The maintenance form's names of the record's fields, as the timeline shows them.
MAINTENANCE_LABELS = {n: str(f.label) for n, f in MaintenanceForm.base_fields.items() if f.label}


def device_maintenance_update(*, user, device_id: int, fields: Mapping[str, Any], zone: str = ""):
    """PUT the device's operational record and keep the answer (the API has no GET for it);
    the device's record window follows the status the upstream answered (open while it is
    "maintenance", ended otherwise). `zone`: the IANA time zone the next maintenance was
    given in, kept with the answer when one is sent (the upstream keeps only the instant).

    ASSUMPTION: a record saved before record windows existed is a window only once saved
    again, or through the migration that opened windows for the kept answers saying
    "maintenance" (maintenance_windows 0003)."""
    device = selectors.device_for_user(user=user, device_id=device_id, detail=False).device
    if not tenancy.can(user, tenancy.MAINTENANCE, device.organization_id):
        raise device_writes.NotAllowed(
            "Your role in this organization does not allow maintenance records."
        )
    body = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in fields.items()}
    kept = MaintenanceSnapshot.objects.filter(device_id=device_id).first()
    before = dict(kept.answer) if kept else {}
    if isinstance(before.get("configuration"), Mapping):
        # Keys holding null are not in the form (no value): a save leaving them out changes
        # nothing the timeline should show.
        before["configuration"] = with_values(before["configuration"])
    changed = field_changes.diff(before, body, labels=MAINTENANCE_LABELS)

    def keep(entry, answer):  # before -> after, for the device's timeline
        field_changes.keep(entry=entry, device_id=device_id, changes=changed,
                           organization_id=device.organization_id,
                           record=ChangedRecord.MAINTENANCE)  # fmt: skip

    answer = device_writes.timed_write(
        user=user, action="maintenance", device_id=device_id, device_name=device.name,
        organization_id=device.organization_id, parameters=body,
        call=lambda api: api.update_device_operation(device_id, body), audited=keep,
    )  # fmt: skip
    kept_fields = {
        "organization_id": device.organization_id,
        "answer": maintenance_to_json(answer),
        "updated_at": datetime.now(UTC),
        "updated_by": user.get_username(),
    }
    if zone and body.get("next_maintenance"):
        # A save without a date leaves the zone the stored date was chosen in.
        kept_fields["next_maintenance_zone"] = zone
    MaintenanceSnapshot.objects.update_or_create(device_id=device_id, defaults=kept_fields)
    if device.organization_id is not None:  # a window belongs to an organization
        sync_record_window(
            device_id=device_id, organization_id=device.organization_id,
            status=answer.operational_status or "", notes=answer.maintenance_notes or "",
            user=user, now=datetime.now(UTC),
        )  # fmt: skip
    return answer


def maintenance_to_json(op) -> dict:
    def iso(value):
        return value.isoformat() if value else None

    return {
        "operational_status": op.operational_status,
        "assigned_user": op.assigned_user,
        "maintenance_notes": op.maintenance_notes,
        "next_maintenance": iso(op.next_maintenance),
        "configuration": _plain(op.configuration or {}),
        "last_updated": iso(op.last_updated),
        "updated_by": op.updated_by,
        "operational_history": [
            {"timestamp": iso(h.timestamp), "action": h.action, "from_status": h.from_status,
             "to_status": h.to_status, "performed_by": h.performed_by}
            for h in op.operational_history
        ],
    }  # fmt: skip


def _plain(value):
    """Read-only mappings and tuples from a record, as plain JSON-able data."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
