"""The Content-Security-Policy in real Chromium: the main pages run (htmx included) without a
single violation, so no inline script, handler, style or eval is needed anywhere."""

import pytest
from playwright.sync_api import expect

from devices.views import REFRESH_SECONDS
from tests.fixtures.users import PASSWORD

PAST_A_REFRESH_MS = (REFRESH_SECONDS + 1) * 1000


@pytest.fixture
def violations(page):
    """Every CSP violation Chromium reports on `page`, as its console message."""
    seen = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and seen.append(message.text),
    )
    page.on("pageerror", lambda error: "unsafe-eval" in str(error) and seen.append(str(error)))
    return seen


def test_the_main_pages_run_without_a_csp_violation(fleet, noc, page, login, violations):
    login(noc.username, PASSWORD)
    page.clock.install()
    device_id = fleet.devices()[0].id
    for path in ("/", "/devices/", f"/devices/{device_id}/", "/triage/"):
        page.goto(path)
        expect(page.locator("main h1").first).to_be_visible()
        page.clock.run_for(PAST_A_REFRESH_MS)  # the parts' periodic refreshes run too
        page.wait_for_load_state("networkidle")
        assert violations == [], f"{path}: {violations}"


def test_the_login_page_runs_without_a_csp_violation(page, violations):
    page.goto("/accounts/login/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert violations == []


def test_the_device_list_refreshes_itself_under_the_policy(fleet, noc, page, login, violations):
    login(noc.username, PASSWORD)
    page.clock.install()
    device = next(d for d in fleet.devices(status=True))
    page.goto(f"/devices/?q={device.serial_number}")
    row = page.locator(f'.fleet-row[data-device-id="{device.id}"]')
    expect(row.locator(".col-status .badge")).to_have_text(device.status)
    fleet.set_status(device.id, up=False)
    fleet.poll()  # as the worker's next poll would

    page.clock.run_for(PAST_A_REFRESH_MS)

    expect(row.locator(".col-status .badge")).not_to_have_text(device.status)
    assert violations == []
