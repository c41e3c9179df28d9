"""Every role logs in, sees its overview, follows the navigation and logs out, in real Chromium."""

import pytest
from playwright.sync_api import expect

from tests.fixtures.users import PASSWORD

NAVIGATION = [
    ("Devices", "/devices/"),
    ("Triage", "/triage/"),
    ("Profiles", "/profiles/"),
    ("Scheduled", "/operations/"),
    ("Audit", "/audit/"),
    ("Overview", "/"),
]


@pytest.mark.parametrize("role", ["noc", "tenant_admin", "operator", "viewer"])
def test_each_role_logs_in_navigates_and_logs_out(role, request, page, login, dashboard_url):
    user = request.getfixturevalue(role)
    login(user.username, PASSWORD)

    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    expect(page.locator(".whoami .username")).to_have_text(user.username)

    nav = page.get_by_role("navigation", name="Main")
    for label, path in NAVIGATION:
        nav.get_by_role("link", name=label, exact=True).click()
        page.wait_for_url(dashboard_url + path)
        expect(nav.get_by_role("link", name=label, exact=True)).to_have_attribute(
            "aria-current", "page"
        )

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto("/devices/")
    expect(page).to_have_url(dashboard_url + "/accounts/login/?next=/devices/")


def test_tenant_sees_only_their_organizations_on_the_overview(tenant_admin, page, login):
    login(tenant_admin.username, PASSWORD)
    table = page.get_by_role("table", name="Your organizations")
    expect(table.get_by_role("row")).to_have_count(2)  # header + organization 5
    expect(table).to_contain_text("Test organization 5")
    expect(table).not_to_contain_text("Test organization 11")


def test_noc_overview_lists_every_organization(noc, page, login, screenshot):
    login(noc.username, PASSWORD)
    table = page.get_by_role("table", name="Your organizations")
    for org_id in (5, 7, 11):
        expect(table).to_contain_text(f"Test organization {org_id}")
    screenshot("overview-before-first-poll")


def test_wrong_password_keeps_the_username_and_says_so(viewer, page, screenshot):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(viewer.username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("did not match")
    expect(page.get_by_label("Username")).to_have_value(viewer.username)
    screenshot("login")


def test_dark_theme_toggle_is_remembered(viewer, page, login):
    login(viewer.username, PASSWORD)
    page.get_by_role("button", name="Dark theme").click()
    theme = page.evaluate("document.documentElement.dataset.theme")
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == theme == "dark"
