"""Words a NOC engineer reads in Chromium: the audit trail's actions and parameters, and the
site's icon on every page."""

from playwright.sync_api import expect

from accounts import audit
from tests.fixtures.users import PASSWORD


def test_the_audit_trail_reads_as_words(dashboard_url, noc, tenant_admin, page, login, screenshot):
    audit.record_action(
        user=tenant_admin, action="headless_create", result=audit.OK, organization_id=5,
        parameters={"device_serial": "SN-1", "operation_type": "firmware_update"},
    )  # fmt: skip
    audit.record_action(
        user=tenant_admin, action="maintenance", result=audit.OK, organization_id=5,
        device_id=1001, device_name="cpe-1",
        parameters={"operational_status": "maintenance", "assigned_user": None},
    )  # fmt: skip
    login(noc.username, PASSWORD)

    page.goto("/audit/")

    table = page.locator("#audit-table")
    expect(table).to_contain_text("Schedule an operation by serial number")
    expect(table).to_contain_text("no assigned user; operational status: maintenance")
    expect(table).not_to_contain_text("headless_create")
    expect(table).not_to_contain_text("assigned_user=None")
    table.scroll_into_view_if_needed()
    screenshot("audit-words")


def test_the_icon_is_linked_and_favicon_ico_answers(dashboard_url, noc, page, login):
    login(noc.username, PASSWORD)

    icon = page.locator('link[rel="icon"]').get_attribute("href")
    linked = page.request.get(icon)
    legacy = page.request.get("/favicon.ico")

    assert linked.status == 200 and linked.headers["content-type"].startswith("image/svg")
    assert legacy.status == 200 and legacy.headers["content-type"].startswith("image/")
