"""An organization in the URL that a page will not use, in real Chromium: the page says why
in its own layout."""

from playwright.sync_api import expect

from tests.fixtures.users import ORG_A, ORG_B, ORG_OTHER, PASSWORD


def test_noc_switched_to_one_organization_is_told_why_another_is_not_shown(
    fleet, noc, page, login, screenshot
):
    login(noc.username, PASSWORD)
    page.goto("/devices/")
    page.locator("#org-switcher").select_option(str(ORG_B))
    page.wait_for_load_state()
    expect(page.locator("#org-switcher")).to_have_value(str(ORG_B))

    page.goto(f"/devices/?organization={ORG_A}")

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("You are switched to Test organization 7 (#7)")
    expect(alert).not_to_contain_text("not one of your organizations")
    screenshot("scope-switched")


def test_a_tenants_export_of_another_organization_is_a_page_of_the_site(
    fleet, tenant_admin, page, login, screenshot
):
    login(tenant_admin.username, PASSWORD)

    response = page.goto(f"/devices/export.csv?organization={ORG_OTHER}")

    assert response.status == 400
    expect(page.get_by_role("heading", name="Nothing was exported")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(
        f"You cannot export organization #{ORG_OTHER}: it is not one of your organizations."
    )
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    screenshot("scope-export-refused")
