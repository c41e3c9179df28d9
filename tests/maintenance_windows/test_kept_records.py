"""The migration that opens a record window for each kept maintenance record that already
says "maintenance" (saved before record windows existed)."""

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps

from maintenance_windows.models import MaintenanceWindow
from operations.models import MaintenanceSnapshot

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "maintenance_windows.migrations.0003_windows_of_kept_maintenance_records"
)
SAVED = datetime(2026, 11, 30, 8, tzinfo=UTC)


def kept(device_id, status, notes=""):
    answer = {"operational_status": status, "maintenance_notes": notes}
    return MaintenanceSnapshot.objects.create(
        device_id=device_id, organization_id=5, answer=answer, updated_at=SAVED, updated_by="ana"
    )


def test_records_saying_maintenance_become_open_record_windows_once():
    kept(1, "maintenance", "fan swap")
    kept(2, "active")
    kept(3, "maintenance")

    migration.open_record_windows(apps, None)
    migration.open_record_windows(apps, None)  # run again: nothing doubled

    windows = {w.record_device_id: w for w in MaintenanceWindow.objects.all()}
    assert set(windows) == {1, 3}
    assert (windows[1].reason, windows[3].reason) == ("fan swap", "maintenance record")
    assert windows[1].starts_at == SAVED and windows[1].is_active(datetime.now(UTC))
    assert windows[1].device_ids == [1] and windows[1].source == "record"
