"""A large organization's uptime report in Chromium: the tenant admin asks for it, the page
says it waits for a worker and, once the worker has built it, shows it without a reload
by hand (htmx asks every 3 s, then reloads the page)."""

import pytest
from playwright.sync_api import expect

from reports import prepared
from reports.models import PreparedReport
from tests.fixtures.users import PASSWORD
from tests.reports.conftest import history, query  # noqa: F401 -- history: a fixture

ADDRESS = "/reports/?" + "&".join(f"{k}={v}" for k, v in query().items())


@pytest.fixture
def large(settings):
    settings.REPORT_BACKGROUND_DEVICES = 0


@pytest.mark.usefixtures("history")
def test_the_page_waits_for_the_worker_then_shows_the_report(
    large, on_the_broker, dashboard_url, tenant_admin, page, login, screenshot
):
    login(tenant_admin.username, PASSWORD)
    page.goto(ADDRESS)
    expect(page.locator(".prepared-why")).to_contain_text(
        "This organization has 0 devices: its report is prepared by a worker rather than while "
        "this page waits (from 0 devices), in a minute or more."
    )
    page.get_by_role("button", name="Prepare this report").click()
    expect(page.locator(".prepared-waiting")).to_contain_text("Waiting for a worker since")
    screenshot("uptime-report-waiting")

    prepared.build(PreparedReport.objects.get().pk)  # what the worker's task runs
    expect(page.locator(".prepared-at")).to_contain_text("Prepared at", timeout=15_000)
    expect(page.locator(".time-down")).to_have_text("00:02:30")
    expect(page.get_by_role("button", name="Prepare again")).to_be_visible()
    screenshot("uptime-report-prepared")
