"""Devices whose kept maintenance record already says "maintenance" get their open record
window, as if that record had been saved now (it was saved at `updated_at`)."""

from django.db import migrations

REASON = "maintenance record"


def open_record_windows(apps, schema_editor):
    snapshot_model = apps.get_model("operations", "MaintenanceSnapshot")
    window_model = apps.get_model("maintenance_windows", "MaintenanceWindow")
    opened = set(
        window_model.objects.filter(source="record", ended_at__isnull=True).values_list(
            "record_device_id", flat=True
        )
    )
    for snapshot in snapshot_model.objects.exclude(organization_id__isnull=True).iterator():
        answer = snapshot.answer or {}
        if answer.get("operational_status") != "maintenance" or snapshot.device_id in opened:
            continue
        window_model.objects.create(
            organization_id=snapshot.organization_id,
            device_ids=[snapshot.device_id],
            record_device_id=snapshot.device_id,
            reason=((answer.get("maintenance_notes") or "").strip() or REASON)[:300],
            owner_name=snapshot.updated_by,
            source="record",
            starts_at=snapshot.updated_at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance_windows", "0002_record_device"),
        ("operations", "0005_actionrecord_to_devices"),
    ]

    operations = [migrations.RunPython(open_record_windows, migrations.RunPython.noop)]
