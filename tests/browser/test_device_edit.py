"""Create, edit and delete in Chromium: errors keep the input, a concurrent upstream change is
shown instead of overwritten, a refused delete is explained."""

from django.conf import settings
from playwright.sync_api import expect

from controlapi import ControlAPI
from tests.fixtures.operations import writes
from tests.fixtures.users import PASSWORD


def test_create_with_errors_keeps_the_input(
    upstream, dashboard_url, fleet_devices, tenant_admin, page, login
):
    login(tenant_admin.username, PASSWORD)
    page.goto("/devices/new/")
    page.get_by_label("Name", exact=True).fill("lab-router")
    page.get_by_label("Serial number", exact=True).fill(fleet_devices[0].serial_number)
    page.get_by_label("Device type id").fill("12")
    page.get_by_label("Organization").select_option("5")
    page.get_by_label("Latitude", exact=True).fill("12.5")
    page.get_by_label("Longitude", exact=True).fill("-70.25")
    page.get_by_label("Management password").fill("pw-secret-1")
    page.get_by_role("button", name="Create device").click()
    expect(page.locator("#id_serial_number-error")).to_contain_text(
        "Another device has this serial number already"
    )
    expect(page.locator("#id_password-error")).to_contain_text("Type the password again")
    expect(page.get_by_label("Name", exact=True)).to_have_value("lab-router")
    expect(page.get_by_label("Latitude", exact=True)).to_have_value("12.5")
    expect(page.get_by_label("Longitude", exact=True)).to_have_value("-70.25")
    expect(page.get_by_label("Management password")).to_have_value("")
    page.get_by_label("Serial number", exact=True).fill("LAB-0001")
    page.get_by_label("Management password").fill("pw-secret-1")
    page.get_by_role("button", name="Create device").click()
    expect(page.get_by_role("heading", name="Identity")).to_be_visible()
    expect(page.locator("#device-fields")).to_contain_text("LAB-0001")


def test_an_upstream_change_between_opening_and_saving_is_shown(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login
):
    device = device_of_org(5)
    login(tenant_admin.username, PASSWORD)
    page.goto(f"/devices/{device.id}/edit/")
    page.get_by_label("Name", exact=True).fill("my-name")
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        api.update_device(device.id, {"name": "their-name"})
    page.get_by_role("button", name="Save changes").click()
    table = page.get_by_role("table", name="Both versions")
    expect(table).to_contain_text("their-name")
    expect(table).to_contain_text("my-name")
    expect(page.get_by_label("Name", exact=True)).to_have_value("my-name")
    assert writes(cached_fleet, device.id) == 1  # only the other change


def test_a_delete_refused_with_409_is_explained(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login
):
    device = device_of_org(5)
    cached_fleet.settings(op_delay_seconds=120)  # the reboot stays pending while we delete
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        api.reboot(device.id)
    login(tenant_admin.username, PASSWORD)
    page.goto(f"/devices/{device.id}/")
    page.get_by_role("link", name="Delete…").click()
    page.get_by_label("to confirm").fill(device.name)
    page.get_by_role("button", name="Delete device").click()
    expect(page.locator("#delete-error")).to_contain_text("work still depends on it")


def test_create_with_a_number_too_large_says_so_on_its_field(
    upstream, dashboard_url, tenant_admin, page, login, screenshot
):
    """A 30-digit update frequency was accepted upstream and the page answered 500; the
    form now bounds it, keeps what was typed, and sends nothing."""
    login(tenant_admin.username, PASSWORD)
    page.goto("/devices/new/")
    page.get_by_label("Name", exact=True).fill("lab-router")
    page.get_by_label("Serial number", exact=True).fill("LAB-0002")
    page.get_by_label("Device type id").fill("12")
    page.get_by_label("Organization").select_option("5")
    page.get_by_label("Management password").fill("pw-secret-1")
    page.get_by_label("Update frequency (seconds)").fill("123456789012345678901234567890")
    page.get_by_role("button", name="Create device").click()

    expect(page.locator("#id_update_frequency-error")).to_contain_text(
        "The update frequency is a whole number of seconds from 1 to 2147483647."
    )
    expect(page.get_by_label("Update frequency (seconds)")).to_have_value(
        "123456789012345678901234567890"
    )
    expect(page.get_by_label("Name", exact=True)).to_have_value("lab-router")
    assert not [e for e in upstream.request_log()["entries"] if e["method"] == "POST"]
    page.get_by_label("Update frequency (seconds)").scroll_into_view_if_needed()
    screenshot("device-create-number-too-large")


def click_twice(page, label):
    """A second click on the button while the first click's request is on its way."""
    page.evaluate(
        """label => {
            const button = [...document.querySelectorAll("button[type=submit]")]
                .find(b => b.textContent.trim() === label);
            button.click();
            setTimeout(() => button.click(), 150);
        }""",
        label,
    )


def test_a_second_click_on_create_creates_once_and_says_so(
    upstream, dashboard_url, tenant_admin, page, login
):
    """The second click must not reach the control API, whose answer (the serial is taken)
    would replace the page saying the device was created."""
    login(tenant_admin.username, PASSWORD)
    page.goto("/devices/new/")
    page.get_by_label("Name", exact=True).fill("twice-router")
    page.get_by_label("Serial number", exact=True).fill("TWICE-0001")
    page.get_by_label("Device type id").fill("12")
    page.get_by_label("Organization").select_option("5")
    page.get_by_label("Management password").fill("pw-secret-1")
    upstream.clear_log()
    upstream.set_faults(latency_ms=400, method="POST")
    click_twice(page, "Create device")
    expect(page.locator("#device-fields")).to_contain_text("TWICE-0001")
    expect(page.get_by_text("Device twice-router created")).to_be_visible()
    assert upstream.request_count("POST", "/api/v1/inventory_device/") == 1


def test_a_second_click_on_save_saves_once(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login
):
    device = device_of_org(5)
    login(tenant_admin.username, PASSWORD)
    page.goto(f"/devices/{device.id}/edit/")
    page.get_by_label("Name", exact=True).fill("saved-once")
    cached_fleet.clear_log()
    cached_fleet.set_faults(latency_ms=400, method="PATCH")
    click_twice(page, "Save changes")
    expect(page.get_by_text("Device saved.")).to_be_visible()
    assert writes(cached_fleet, device.id) == 1


def test_saving_unchanged_keeps_every_stored_value(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login
):
    """A browser posts a textarea's line breaks as CRLF: a description of 255 characters over
    several lines must neither be refused as too long nor be sent back changed."""
    device = device_of_org(5)
    stored = {
        "name": "Routeur café ☕ 東京",
        "description": "\n".join(["x" * 50] * 6)[:255],
        "latitude": "-89.999999",
        "longitude": "0",
        "customer_id": None,
    }
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        api.update_device(device.id, stored)
    login(tenant_admin.username, PASSWORD)
    page.goto(f"/devices/{device.id}/edit/")
    expect(page.get_by_label("Name", exact=True)).to_have_value(stored["name"])
    cached_fleet.clear_log()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Device saved.")).to_be_visible()
    assert writes(cached_fleet, device.id) == 0
