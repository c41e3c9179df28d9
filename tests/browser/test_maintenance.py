"""The maintenance record in Chromium: a re-opened form shows every stored value, and saving it
again without touching the next-maintenance date keeps that date upstream."""

from datetime import UTC, datetime

from playwright.sync_api import expect

from operations.models import MaintenanceSnapshot
from tests.fixtures.users import PASSWORD


def maintenance_puts(sim_control, device_id):
    path = f"/api/v1/inventory_device_operation/{device_id}/"
    entries = sim_control.request_log(last=1000)["entries"]
    return [e["body"] for e in entries if e["method"] == "PUT" and e["path"] == path]


def test_the_next_maintenance_date_is_shown_again_and_kept_on_the_next_save(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login, screenshot, settings
):
    settings.DISPLAY_TIME_ZONE = "Europe/Madrid"
    device = device_of_org(5)
    login(tenant_admin.username, PASSWORD)
    page.goto(f"/devices/{device.id}/maintenance/")
    page.get_by_label("Operational status").select_option("maintenance")
    page.get_by_label("Maintenance notes").fill("fan swap")
    page.get_by_label("Next maintenance", exact=True).fill("2030-04-15T09:00")
    page.get_by_label("Time zone of the next maintenance").select_option("Europe/Madrid")
    page.get_by_role("button", name="Save maintenance record").click()
    expect(page.locator(".message-success")).to_contain_text("Maintenance record saved.")

    # Re-opened: every stored value is in the form, the date in the display time zone.
    page.goto(f"/devices/{device.id}/maintenance/")
    expect(page.get_by_label("Operational status")).to_have_value("maintenance")
    expect(page.get_by_label("Maintenance notes")).to_have_value("fan swap")
    expect(page.get_by_label("Next maintenance", exact=True)).to_have_value("2030-04-15T09:00")
    expect(page.get_by_label("Time zone of the next maintenance")).to_have_value("Europe/Madrid")
    screenshot("maintenance-reopened")

    # Saved again with only the notes changed: the date goes with it, unchanged.
    page.get_by_label("Maintenance notes").fill("fan swapped, filter next")
    page.get_by_role("button", name="Save maintenance record").click()
    expect(page.locator(".message-success")).to_contain_text("Maintenance record saved.")
    first, second = maintenance_puts(cached_fleet, device.id)
    assert first["next_maintenance"] == "2030-04-15T09:00:00+02:00"
    assert second["next_maintenance"] == "2030-04-15T09:00:00+02:00"
    assert second["maintenance_notes"] == "fan swapped, filter next"
    answer = MaintenanceSnapshot.objects.get(device_id=device.id).answer
    assert datetime.fromisoformat(answer["next_maintenance"]) == datetime(
        2030, 4, 15, 7, tzinfo=UTC
    )
    expect(page.get_by_label("Next maintenance", exact=True)).to_have_value("2030-04-15T09:00")
