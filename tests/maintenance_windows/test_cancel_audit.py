"""Cancelling a window that had not started is its own action in the audit trail ("Cancel a
maintenance window"), not "End a maintenance window"; ending one in force stays an end."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import AuditEntry
from maintenance_windows.models import MaintenanceWindow
from tests.fixtures.users import ORG_A

pytestmark = pytest.mark.django_db


def window_from(hours: float) -> MaintenanceWindow:
    starts = datetime.now(UTC) + timedelta(hours=hours)
    return MaintenanceWindow.objects.create(
        organization_id=ORG_A, reason="core switch swap", starts_at=starts,
        ends_at=starts + timedelta(hours=2),
    )  # fmt: skip


def actions_shown(client) -> list[str]:
    return [entry.action_label for entry in client.get("/audit/").context["entries"]]


def test_cancel_on_the_page_is_audited_as_a_cancel(client_of, tenant_admin):
    window = window_from(4)
    client = client_of(tenant_admin)
    assert ">Cancel</button>" in client.get(f"/maintenance-windows/{window.pk}/").content.decode()

    client.post(f"/maintenance-windows/{window.pk}/end/")

    content = client.get("/audit/").content.decode()
    assert "Cancel a maintenance window" in content
    assert "End a maintenance window" not in content
    assert AuditEntry.objects.get().action == "maintenance_window_cancel"
    filtered = client.get("/audit/", {"action": "cancel a maintenance"}).context["entries"]
    assert [e.action for e in filtered] == ["maintenance_window_cancel"]


def test_end_now_on_a_window_in_force_stays_an_end(client_of, tenant_admin):
    window = window_from(-1)
    client = client_of(tenant_admin)

    client.post(f"/maintenance-windows/{window.pk}/end/")

    assert actions_shown(client) == ["End a maintenance window"]
