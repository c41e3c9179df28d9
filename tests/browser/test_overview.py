"""The overview in real Chromium, over a polled fleet: counts per organization, the
charts from the history and the organizations with most devices Down."""

from playwright.sync_api import expect

from tests.browser.test_fleet_pages import fleet as fleet  # noqa: F401 -- a fixture
from tests.users import ORG_A, ORG_B, PASSWORD
from tests.users import noc as noc  # noqa: F401 -- a fixture
from tests.users import organizations as organizations  # noqa: F401 -- a fixture
from tests.users import tenant_admin as tenant_admin  # noqa: F401 -- a fixture


def org_row(page, org_id):
    table = page.get_by_role("table", name="Your organizations")
    return table.locator("tr", has=page.locator(f"td.num:text-is('{org_id}')"))


def test_overview_counts_match_the_fleet_and_the_charts_follow_the_polls(
    fleet, noc, page, login, screenshot
):
    for device in fleet.devices(status=True, organization=ORG_A)[:3]:
        fleet.set_status(device.id, up=False)
    fleet.poll()  # a second point in the history, with the transitions it saw

    up = len(fleet.devices(status=True, organization=ORG_A))
    down = len(fleet.devices(status=False, organization=ORG_A))
    login(noc.username, PASSWORD)

    row = org_row(page, ORG_A)
    expect(row.get_by_role("link", name=str(up), exact=True)).to_be_visible()
    expect(row.get_by_role("link", name=str(down), exact=True)).to_be_visible()
    chart = page.get_by_role("img", name="Up and Down devices over the last 24 hours")
    expect(chart).to_be_visible()
    expect(page.locator(".most-down")).to_contain_text("Test organization 5")
    screenshot("overview")


def test_a_tenant_overview_counts_only_its_organization(fleet, tenant_admin, page, login):
    login(tenant_admin.username, PASSWORD)
    table = page.get_by_role("table", name="Your organizations")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(org_row(page, ORG_B)).to_have_count(0)
