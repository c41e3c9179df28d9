"""A maintenance window in Chromium: a tenant admin plans one for a device through the form,
sees it in force on the windows page, and the device list marks that device "in
maintenance" (and not its neighbours)."""

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.fixtures.users import ORG_A, PASSWORD


def test_a_window_made_in_the_form_marks_its_device_in_the_list(
    fleet, dashboard_url, tenant_admin, page, login, screenshot, settings
):
    settings.DISPLAY_TIME_ZONE = "UTC"
    mine = [d for d in fleet.devices() if d.organization_id == ORG_A]
    device, neighbour = mine[0], mine[1]
    login(tenant_admin.username, PASSWORD)

    page.goto("/maintenance-windows/")
    page.get_by_role("link", name="New maintenance window").click()
    # Only the fields of the choices made show: a one-off window has no weekdays.
    expect(page.get_by_label("Monday")).to_be_hidden()
    expect(page.get_by_label("Device ids")).to_be_hidden()
    page.get_by_label("These devices").check()
    page.get_by_label("Device ids").fill(str(device.id))
    page.get_by_label("Time zone").select_option("UTC")
    end = datetime.now(UTC) + timedelta(hours=2)
    page.get_by_label("Ends (once) / until (repeating, optional)").fill(f"{end:%Y-%m-%dT%H:%M}")
    page.get_by_label("Reason").fill("splice closure on the ring")
    page.get_by_label("Reason").scroll_into_view_if_needed()
    screenshot("maintenance-window-form")
    page.get_by_role("button", name="Keep maintenance window").click()

    expect(page.locator(".message-success")).to_contain_text("splice closure on the ring")
    page.goto("/maintenance-windows/")
    in_force = page.get_by_role("table", name="In force now")
    expect(in_force).to_contain_text(f"device {device.id} of Test organization 5")
    screenshot("maintenance-windows")

    page.goto(f"/devices/?organization={ORG_A}&per_page=200")
    row = page.locator(f'tr[data-device-id="{device.id}"]')
    expect(row.get_by_role("link", name="in maintenance")).to_be_visible()
    expect(page.locator(f'tr[data-device-id="{neighbour.id}"] .badge-maintenance')).to_have_count(0)
    row.scroll_into_view_if_needed()
    screenshot("devices-in-maintenance")
