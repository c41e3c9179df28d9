"""Scheduling a headless operation in Chromium: refusals are answered on the form, which keeps
what was typed."""

from playwright.sync_api import expect

from tests.fixtures.users import PASSWORD

UNKNOWN = "No device with this serial number in the inventory."


def fill(page, serial, when="2031-01-16T02:00", zone="Europe/Madrid"):
    page.get_by_label("Device serial number").fill(serial)
    page.get_by_label("Scheduled time", exact=True).fill(when)
    page.get_by_label("Time zone of the scheduled time").select_option(zone)
    page.get_by_label("Parameters").fill("firmware_image=47")
    page.get_by_role("button", name="Schedule").click()


def test_another_organizations_serial_is_answered_on_the_form_like_an_unknown_one(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login
):
    login(tenant_admin.username, PASSWORD)
    page.goto("/operations/")
    fill(page, "NO-SUCH-SERIAL")
    expect(page.locator("#id_device_serial-error")).to_have_text(UNKNOWN)

    serial = device_of_org(11).serial_number
    fill(page, serial)
    expect(page.get_by_role("heading", name="Scheduled operations")).to_be_visible()
    expect(page.locator("#id_device_serial-error")).to_have_text(UNKNOWN)
    expect(page.get_by_label("Device serial number")).to_have_value(serial)
    expect(page.get_by_label("Parameters")).to_have_value("firmware_image=47")


def test_a_time_in_the_past_is_refused_with_its_time_zone(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login, screenshot
):
    login(tenant_admin.username, PASSWORD)
    page.goto("/operations/")
    fill(page, device_of_org(5).serial_number, when="2020-01-16T02:00", zone="Europe/Madrid")
    error = page.locator("#id_scheduled_time-error")
    expect(error).to_contain_text("2020-01-16 02:00 (Europe/Madrid) is in the past: it is now")
    expect(error).to_contain_text("in Europe/Madrid. Choose a later time.")
    expect(page.get_by_label("Scheduled time", exact=True)).to_have_value("2020-01-16T02:00")
    expect(page.get_by_role("table", name="Scheduled operations")).to_contain_text(
        "No scheduled operations yet."
    )
    screenshot("scheduled-in-the-past")
    assert not [e for e in cached_fleet.request_log()["entries"] if e["method"] == "POST"]


def headless_posts(sim_control):
    entries = sim_control.request_log(last=1000)["entries"]
    return [e for e in entries if e["method"] == "POST" and "headless" in e["path"]]


def test_another_organizations_serial_in_lower_case_is_refused_and_not_sent(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login, screenshot
):
    login(tenant_admin.username, PASSWORD)
    page.goto("/operations/")
    serial = device_of_org(11).serial_number.lower()
    fill(page, serial)
    expect(page.locator("#id_device_serial-error")).to_have_text(UNKNOWN)
    expect(page.get_by_label("Device serial number")).to_have_value(serial)
    screenshot("scheduled-serial-in-lower-case")
    assert headless_posts(cached_fleet) == []


def test_while_the_cache_cannot_say_who_owns_a_serial_nothing_is_sent(
    upstream, dashboard_url, device_of_org, tenant_admin, page, login, screenshot
):
    # Redis answers but no poll has filled the fleet cache yet.
    login(tenant_admin.username, PASSWORD)
    page.goto("/operations/")
    fill(page, device_of_org(11).serial_number)
    expect(page.locator("#id_device_serial-error")).to_have_text(
        "The fleet cache is still being filled, so the serial's organization cannot be "
        "checked yet: try again in a minute."
    )
    expect(page.get_by_label("Parameters")).to_have_value("firmware_image=47")
    screenshot("scheduled-cache-filling")
    assert headless_posts(upstream) == []


def test_a_form_sent_after_the_session_ended_says_on_the_login_page_it_was_not_saved(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login
):
    login(tenant_admin.username, PASSWORD)
    page.goto("/operations/")
    other = page.context.new_page()
    other.goto("/")
    other.get_by_role("button", name="Log out").click()
    other.wait_for_url("**/accounts/login/**")

    fill(page, device_of_org(5).serial_number)

    page.wait_for_url("**/accounts/login/**")
    expect(page.get_by_role("status")).to_contain_text(
        "Your session ended before what you sent could be saved: nothing was changed."
    )


def test_back_to_the_form_and_sent_again_asks_before_scheduling_it_a_second_time(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login, screenshot
):
    serial = device_of_org(5).serial_number
    login(tenant_admin.username, PASSWORD)
    page.goto(f"/operations/?serial={serial}")
    fill(page, serial)
    expect(page.get_by_text("Scheduled: transaction")).to_be_visible()

    # Chromium loads the form's page afresh and puts the values typed back into it.
    page.go_back()
    expect(page.get_by_label("Parameters")).to_have_value("firmware_image=47")
    page.get_by_role("button", name="Schedule").click()

    warning = page.locator(".message-warning")
    expect(warning).to_contain_text("You scheduled this same operation (transaction")
    expect(warning).to_contain_text("Nothing was sent now.")
    expect(page.get_by_label("Device serial number")).to_have_value(serial)
    screenshot("scheduled-the-same-again")
    assert len(headless_posts(cached_fleet)) == 1

    page.get_by_label("Schedule it a second time").check()
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text("Scheduled: transaction")).to_be_visible()
    assert len(headless_posts(cached_fleet)) == 2
    rows = page.get_by_role("table", name="Scheduled operations").locator("tbody tr")
    expect(rows).to_have_count(2)
