"""Windows made directly in the database, from one moment, for the window tests."""

from datetime import UTC, datetime

from maintenance_windows.models import MaintenanceWindow

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)  # a Monday


def window(**fields):
    base = {"organization_id": 5, "reason": "fibre works", "starts_at": T0}
    return MaintenanceWindow.objects.create(**(base | fields))
