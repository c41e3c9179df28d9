"""The device page in Chromium with a slow control API, and the danger zone's typed name:
the page shows the cached fields at once and fills the rest; a wrong name brings the person
back to the form with the error in view."""

from django.conf import settings
from playwright.sync_api import expect

from controlapi import ControlAPI
from tests.fixtures.users import PASSWORD


def test_the_edit_page_answers_at_once_and_fills_the_form_when_the_record_arrives(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login, screenshot
):
    device = device_of_org(5)
    login(tenant_admin.username, PASSWORD)
    cached_fleet.set_faults(latency_ms=3000)
    page.goto(f"/devices/{device.id}/edit/")
    expect(page.locator("#edit-loading")).to_be_visible()
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
    screenshot("device-edit-loading")
    expect(page.get_by_label("Name", exact=True)).to_have_value(device.name)
    expect(page.get_by_label("Serial number", exact=True)).to_have_value(device.serial_number)
    screenshot("device-edit-loaded")


def test_the_page_shows_the_cache_at_once_and_fills_the_detail_fields(
    cached_fleet, dashboard_url, device_of_org, viewer, page, login, screenshot
):
    device = device_of_org(5)
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        record = api.get_device(device.id, pending=True)
    login(viewer.username, PASSWORD)
    cached_fleet.set_faults(latency_ms=3000)
    page.goto(f"/devices/{device.id}/")
    fields = page.locator("#device-fields")
    expect(fields).to_contain_text(device.serial_number)
    expect(page.locator("#detail-loading")).to_be_visible()
    screenshot("device-detail-loading")
    expect(fields).to_contain_text(record.username)
    expect(fields).to_contain_text(record.unique_identifier)
    expect(page.locator("#detail-loading")).to_have_count(0)
    screenshot("device-detail-loaded")


def test_during_an_outage_the_fields_read_earlier_show_with_their_age(
    cached_fleet, dashboard_url, device_of_org, viewer, page, login, screenshot
):
    device = device_of_org(5)
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        record = api.get_device(device.id, pending=True)
    login(viewer.username, PASSWORD)
    page.goto(f"/devices/{device.id}/")
    expect(page.locator("#device-fields")).to_contain_text(record.username)
    # The next poll stores the list shape again, without the detail-only fields.
    from devices import configured
    from fleet.polling import FULL, PollConfig, poll_fleet

    poll_fleet(
        model=configured.read_model(for_pages=False),
        api_factory=configured.upstream(),
        config=PollConfig(page_size=100, parallel=2, lock_ttl=5.0),
        mode=FULL,
    )
    cached_fleet.set_faults(outage_seconds=600)
    page.reload()
    fields = page.locator("#device-fields")
    expect(fields).to_contain_text("Could not load the device's own record")
    expect(fields).to_contain_text(record.username)
    expect(fields.locator(".detail-age").first).to_be_visible()
    screenshot("device-detail-outage")


def test_a_wrong_name_in_the_danger_zone_brings_the_error_into_view(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login, screenshot
):
    device = device_of_org(5)
    login(tenant_admin.username, PASSWORD)
    page.goto(f"/devices/{device.id}/")
    box = page.get_by_label("Device name, to confirm factory reset", exact=True)
    box.fill("not-the-name")
    page.get_by_role("button", name="Factory reset", exact=True).click()
    error = page.get_by_text(f"Type the device's name ({device.name}) exactly")
    expect(error).to_be_in_viewport()
    box = page.get_by_label("Device name, to confirm factory reset", exact=True)
    expect(box).to_be_focused()
    expect(box).to_have_value("not-the-name")
    screenshot("device-danger-zone-error")


def test_a_wrong_name_on_the_delete_page_returns_to_the_name(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login
):
    device = device_of_org(5)
    login(tenant_admin.username, PASSWORD)
    page.goto(f"/devices/{device.id}/delete/")
    page.get_by_label("to confirm").fill("not-the-name")
    page.get_by_role("button", name="Delete device").click()
    expect(page.get_by_text(f"Type the device's name ({device.name}) exactly")).to_be_in_viewport()
    box = page.get_by_label("to confirm")
    expect(box).to_be_focused()
    expect(box).to_have_value("not-the-name")
