"""Dates at the calendar's ends, typed in Chromium: refused on the page, nothing sent."""

from playwright.sync_api import expect

from tests.fixtures.users import PASSWORD

OUT_OF_RANGE = "is out of range: choose a date and time between the years 2000 and 2099."


def test_an_operation_at_the_calendars_end_is_refused_before_anything_is_sent(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login, screenshot
):
    login(tenant_admin.username, PASSWORD)
    page.goto("/operations/")
    cached_fleet.clear_log()
    page.get_by_label("Device serial number").fill(device_of_org(5).serial_number)
    page.get_by_label("Scheduled time", exact=True).fill("9999-12-31T23:59")
    page.get_by_label("Time zone of the scheduled time").select_option("Etc/GMT+12")
    page.get_by_label("Parameters").fill("firmware_image=47")
    page.get_by_role("button", name="Schedule").click()

    expect(page.locator("#id_scheduled_time-error")).to_have_text(
        f"9999-12-31 23:59 (Etc/GMT+12) {OUT_OF_RANGE}"
    )
    expect(page.get_by_label("Scheduled time", exact=True)).to_have_value("9999-12-31T23:59")
    screenshot("operation-at-the-calendars-end")
    sent = [e for e in cached_fleet.request_log(last=1000)["entries"] if e["method"] != "GET"]
    assert sent == []


def test_a_status_change_time_at_the_calendars_end_is_named_on_the_device_list(
    cached_fleet, dashboard_url, noc, page, login, screenshot
):
    login(noc.username, PASSWORD)
    page.goto("/devices/?last_status_change_from=9999-12-31T23:59:59-23:59&page=①")

    alerts = page.get_by_role("alert")
    expect(alerts.filter(has_text="9999-12-31T23:59:59-23:59")).to_have_text(
        f"“9999-12-31T23:59:59-23:59” {OUT_OF_RANGE}"
    )
    expect(alerts.filter(has_text="Page “①”")).to_be_visible()
    screenshot("device-list-with-hostile-values")
