"""Every action button end to end in Chromium against the simulator: a double click sends
exactly one request, the page says what the upstream answered and follows the device
until it confirms."""

import pytest
from playwright.sync_api import expect

from simulator import catalog
from tests.fixtures.operations import writes
from tests.fixtures.users import PASSWORD

PLAIN = [
    ("reboot", "Reboot"),
    ("sync", "Sync configuration"),
    ("reconf", "Re-apply configuration"),
    ("debug-on", "Debug on"),
]


def open_device(page, login, user, device, *, answer=True):
    """The device's page; `answer`: what its questions (before Reboot, Firmware update) get."""
    page.on("dialog", lambda dialog: dialog.accept() if answer else dialog.dismiss())
    login(user.username, PASSWORD)
    page.goto(f"/devices/{device.id}/")
    expect(page.get_by_role("heading", name="Identity")).to_be_visible()


@pytest.mark.parametrize(("action", "label"), PLAIN)
def test_a_double_click_sends_one_request_and_the_device_confirms(
    action, label, cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login
):
    device = device_of_org(5)
    open_device(page, login, tenant_admin, device)
    cached_fleet.clear_log()
    page.get_by_role("button", name=label, exact=True).dblclick()
    record = page.locator(".action-record").first
    expect(record).to_contain_text("accepted by the control API")
    expect(record).to_contain_text("Confirmed by the device", timeout=15_000)
    assert writes(cached_fleet, device.id) == 1


def test_debug_off_after_debug_on(cached_fleet, dashboard_url, device_of_org, noc, page, login):
    device = device_of_org(5)
    open_device(page, login, noc, device)
    page.get_by_role("button", name="Debug on", exact=True).click()
    expect(page.locator(".action-record").first).to_contain_text("Confirmed", timeout=15_000)
    cached_fleet.clear_log()
    page.get_by_role("button", name="Debug off", exact=True).dblclick()
    expect(page.locator(".action-record").first).to_contain_text("Confirmed", timeout=15_000)
    assert writes(cached_fleet, device.id) == 1
    page.reload()
    debug = page.locator("#device-fields dt", has_text="Debug").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(debug).to_have_text("off")


def test_debug_off_right_after_debug_on_is_not_confirmed(
    cached_fleet, dashboard_url, device_of_org, noc, page, login, screenshot
):
    """The control API queues nothing for Debug off while debug:on is still pending: the page
    says so and never calls it confirmed, while debug ends up on."""
    device = device_of_org(5)
    cached_fleet.settings(op_delay_seconds=30)
    open_device(page, login, noc, device)
    page.get_by_role("button", name="Debug on", exact=True).click()
    expect(page.locator(".action-record").first).to_contain_text("Debug on: accepted")
    page.get_by_role("button", name="Debug off", exact=True).click()
    off = page.locator(".action-record").first
    expect(off).to_contain_text("debug off was not queued")
    expect(off).to_contain_text("Not applied")
    cached_fleet.advance(31)  # debug on applies
    on = page.locator(".action-record").nth(1)
    expect(on).to_contain_text("Confirmed by the device", timeout=15_000)
    expect(off).not_to_contain_text("Confirmed")
    screenshot("device-actions-debug-off-contradicted")
    page.reload()
    debug = page.locator("#device-fields dt", has_text="Debug").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(debug).to_have_text("on")


def test_firmware_update_takes_an_image_id_and_shows_it_pending(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login, screenshot
):
    device = device_of_org(5)
    image = catalog.DEVICE_TYPES_BY_ID[device.type].firmware[-1]
    open_device(page, login, tenant_admin, device)
    # The device's own image is offered, with its version.
    expect(page.locator("#firmware-images option").first).to_contain_text("reported by")
    # and the help beside the box says so once the device's record has arrived.
    expect(page.locator("#firmware-help")).to_contain_text("Pick an image")
    page.get_by_label("Firmware image id").scroll_into_view_if_needed()
    screenshot("device-actions-firmware")
    cached_fleet.clear_log()
    page.get_by_label("Firmware image id").fill(str(image.id))
    page.get_by_role("button", name="Firmware update").dblclick()
    record = page.locator(".action-record").first
    expect(record).to_contain_text("Firmware update pending")
    expect(record).to_contain_text("Confirmed by the device", timeout=15_000)
    assert writes(cached_fleet, device.id) == 1


@pytest.mark.parametrize(
    ("action", "label"),
    [("factory-reset", "Factory reset"), ("device-factory-reset", "Device-only factory reset")],
)
def test_danger_zone_actions_need_the_name_and_send_once(
    action,
    label,
    cached_fleet,
    dashboard_url,
    device_of_org,
    tenant_admin,
    page,
    login,
    screenshot,
):
    device = device_of_org(5)
    open_device(page, login, tenant_admin, device)
    zone = page.locator(".danger-zone")
    zone.get_by_label(f"confirm {label.lower()}").fill(device.name)
    if action == "factory-reset":
        screenshot("device-actions-danger-zone")
    cached_fleet.clear_log()
    zone.get_by_role("button", name=label, exact=True).dblclick()
    expect(page.locator(".action-record").first).to_contain_text("Confirmed", timeout=15_000)
    assert writes(cached_fleet, device.id) == 1


def test_a_wrong_name_in_the_danger_zone_sends_nothing(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login
):
    device = device_of_org(5)
    open_device(page, login, tenant_admin, device)
    cached_fleet.clear_log()
    zone = page.locator(".danger-zone")
    zone.get_by_label("confirm factory reset").fill("not-the-name")
    zone.get_by_role("button", name="Factory reset", exact=True).click()
    expect(page.locator("#confirm-factory-reset-error")).to_contain_text("exactly to confirm")
    expect(page.locator(".danger-zone").get_by_label("confirm factory reset")).to_have_value(
        "not-the-name"
    )
    assert writes(cached_fleet, device.id) == 0


def test_the_detail_page_shows_every_group(
    cached_fleet, dashboard_url, device_of_org, noc, page, login, screenshot
):
    device = device_of_org(5)
    open_device(page, login, noc, device)
    for heading in (
        "Status and connectivity",
        "Hardware and firmware",
        "Location",
        "Organization and type",
        "Pending settings",
        "Actions",
    ):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.locator("#device-fields")).to_contain_text(device.serial_number)
    screenshot("device-detail")


def test_refresh_updates_the_page_by_itself(
    cached_fleet, dashboard_url, device_of_org, operator, page, login, celery_eager
):
    device = device_of_org(5)
    open_device(page, login, operator, device)
    cached_fleet.set_status(device.id, up=False)
    expect(page.locator("h1 .badge")).to_have_text("Up")
    page.get_by_role("button", name="Refresh").click()
    # The field groups reload when the refresh landed; the status shows Down.
    expect(page.locator("#device-fields")).to_contain_text("Down", timeout=10_000)
    expect(page.get_by_role("button", name="Refresh")).to_be_visible()


def test_refresh_during_an_outage_stops_at_once_and_says_why(
    cached_fleet, dashboard_url, device_of_org, operator, page, login, celery_eager, screenshot
):
    device = device_of_org(5)
    open_device(page, login, operator, device)
    cached_fleet.set_faults(outage_seconds=120)
    page.get_by_role("button", name="Refresh").click()
    panel = page.locator("#freshness")
    expect(panel).to_contain_text("The refresh failed")
    expect(panel).to_contain_text("Service temporarily unavailable (outage)")
    expect(panel).not_to_contain_text("did not finish in time")
    expect(panel.locator(".spinner")).to_have_count(0)
    expect(page.get_by_role("button", name="Refresh")).to_be_visible()
    screenshot("device-refresh-outage")


def test_a_viewer_sees_no_action_buttons_and_a_forged_post_changes_nothing(
    cached_fleet, dashboard_url, device_of_org, viewer, page, login
):
    device = device_of_org(5)
    open_device(page, login, viewer, device)
    expect(page.locator("form.action-form")).to_have_count(0)
    expect(page.get_by_role("button", name="Reboot")).to_have_count(0)
    cached_fleet.clear_log()
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"/devices/{device.id}/actions/reboot/",
        form={"key": "f" * 32},
        headers={"X-CSRFToken": token, "Referer": dashboard_url + f"/devices/{device.id}/"},
    )
    assert response.ok  # followed the redirect back to the page: refused in words, not a 403
    assert "does not allow this action" in response.text()
    assert writes(cached_fleet, device.id) == 0


def test_an_action_refused_for_its_input_returns_with_the_error_in_view(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login
):
    """A browser that does not check the box itself (noValidate here) sends a bad image id: the
    page comes back scrolled to the error beside the actions, with what was typed."""
    device = device_of_org(5)
    open_device(page, login, tenant_admin, device)
    page.locator("#firmware-image").evaluate("box => { box.form.noValidate = true; }")
    page.get_by_label("Firmware image id").fill("0")
    page.get_by_role("button", name="Firmware update").click()
    error = page.locator("#action-error")
    expect(error).to_contain_text("Type the firmware image id")
    expect(error).to_be_in_viewport()
    expect(page.get_by_label("Firmware image id")).to_have_value("0")


def test_an_accepted_action_with_an_unreadable_answer_is_shown_as_outcome_unknown(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login, screenshot
):
    device = device_of_org(5)
    open_device(page, login, tenant_admin, device)
    cached_fleet.set_faults(next_malformed=1, malformed="non_json", method="PATCH")
    page.get_by_role("button", name="Reboot", exact=True).click()
    record = page.locator(".action-record").first
    expect(record).to_contain_text("Outcome unknown")
    expect(record).to_contain_text("its answer could not be read: it was probably applied")
    expect(record).not_to_contain_text("Refused or failed")
    screenshot("action-unreadable-answer")
    assert writes(cached_fleet, device.id) == 1


def test_a_reboot_asks_first_and_a_no_sends_nothing(
    cached_fleet, dashboard_url, device_of_org, tenant_admin, page, login
):
    """Before, one click rebooted the device from its page, while the triage board asked."""
    device = device_of_org(5)
    questions = []
    page.on("dialog", lambda dialog: questions.append(dialog.message))
    open_device(page, login, tenant_admin, device, answer=False)
    cached_fleet.clear_log()

    page.get_by_role("button", name="Reboot", exact=True).click()
    page.get_by_role("button", name="Sync configuration").click()  # asks nothing
    expect(page.locator(".action-record").first).to_contain_text("Sync configuration")

    assert questions == [f"Reboot {device.name}? It is offline while it restarts."]
    assert [e["body"] for e in cached_fleet.request_log()["entries"] if e["method"] == "PATCH"] == [
        {"sync": True}
    ]
