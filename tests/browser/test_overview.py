"""The overview in real Chromium, over a polled fleet: counts per organization, the
charts from the history and the organizations with most devices Down, refreshed by
themselves on the wall screen."""

from playwright.sync_api import expect

from devices.views import REFRESH_SECONDS
from tests.fixtures.fleet import CLOSED_PORT_URL
from tests.fixtures.users import ORG_A, ORG_B, PASSWORD


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


# The wall screen: the overview refreshes its parts by itself, at the device list's
# interval. The page's clock is Playwright's, so a refresh comes when the test says.
REFRESH_MS = (REFRESH_SECONDS + 1) * 1000


def open_wall_screen(page, login, user):
    page.clock.install()
    login(user.username, PASSWORD)
    page.goto("/")
    # Gone if the page were loaded again: the refresh must swap parts, not reload.
    page.evaluate("window.wallScreenMark = 1")


def take_down(fleet, org_id, n):
    for device in fleet.devices(status=True, organization=org_id)[:n]:
        fleet.set_status(device.id, up=False)
    fleet.poll()


def test_the_overview_shows_a_changed_fleet_without_a_reload(fleet, noc, page, login, screenshot):
    open_wall_screen(page, login, noc)
    down_before = len(fleet.devices(status=False, organization=ORG_A))
    expect(org_row(page, ORG_A).locator("td.num a").nth(1)).to_have_text(str(down_before))

    take_down(fleet, ORG_A, 4)
    page.clock.run_for(REFRESH_MS)

    down = len(fleet.devices(status=False, organization=ORG_A))
    up = len(fleet.devices(status=True, organization=ORG_A))
    assert down == down_before + 4
    expect(org_row(page, ORG_A).locator("td.num a").nth(1)).to_have_text(str(down))
    expect(org_row(page, ORG_A).locator("td.num a").nth(0)).to_have_text(str(up))
    expect(page.locator(".most-down")).to_contain_text(f"{down} of {up + down}")
    assert page.evaluate("window.wallScreenMark") == 1
    screenshot("overview-refreshed")


def test_the_refresh_keeps_the_organization_the_page_shows(fleet, noc, page, login):
    open_wall_screen(page, login, noc)
    page.locator("#org-switcher").select_option(str(ORG_A))
    expect(page.get_by_role("table", name="Your organizations").locator("tbody tr")).to_have_count(
        1
    )
    page.evaluate("window.wallScreenMark = 1")
    # Someone switches back to all organizations in another tab of the same session.
    other = page.context.new_page()
    other.goto("/")
    other.locator("#org-switcher").select_option("")
    expect(other.get_by_role("table", name="Your organizations").locator("tbody tr")).to_have_count(
        3
    )

    take_down(fleet, ORG_A, 2)
    page.clock.run_for(REFRESH_MS)

    down = len(fleet.devices(status=False, organization=ORG_A))
    expect(org_row(page, ORG_A).locator("td.num a").nth(1)).to_have_text(str(down))
    rows = page.get_by_role("table", name="Your organizations").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(page.locator("#org-switcher")).to_have_value(str(ORG_A))
    assert page.evaluate("window.wallScreenMark") == 1


def test_redis_lost_mid_refresh_shows_the_degraded_banner_and_keeps_the_page(
    fleet, noc, page, login, settings, screenshot
):
    open_wall_screen(page, login, noc)
    expect(page.locator(".banner")).to_have_count(0)

    settings.REDIS_URL = f"redis://{CLOSED_PORT_URL}/0"
    page.clock.run_for(REFRESH_MS)

    expect(page.locator(".banner")).to_contain_text(
        "Degraded: the fleet cache (Redis) is unreachable"
    )
    expect(page.get_by_text("Counts and charts need the fleet cache (Redis)")).to_be_visible()
    expect(page.get_by_role("heading", name="Poller health")).to_be_visible()
    # Counts that could not be read are not shown as zeros: that would read as a dead fleet.
    expect(org_row(page, ORG_A).locator("td.num").nth(1)).to_have_text("unknown")
    expect(page.locator(".most-down")).to_have_count(0)
    expect(page.get_by_text("No organization has a device Down")).to_have_count(0)
    assert page.evaluate("window.wallScreenMark") == 1
    screenshot("overview-refreshed-without-redis")


def test_a_refresh_after_the_session_ended_goes_to_the_login_page(fleet, noc, page, login):
    open_wall_screen(page, login, noc)
    other = page.context.new_page()
    other.goto("/")
    other.get_by_role("button", name="Log out").click()
    other.wait_for_url("**/accounts/login/**")

    page.clock.run_for(REFRESH_MS)

    # The whole page goes to the login form; the form is never swapped into the overview.
    page.wait_for_url("**/accounts/login/**")
    expect(page.get_by_label("Username")).to_have_count(1)
    expect(page.get_by_role("heading", name="Overview")).to_have_count(0)


def test_the_poller_health_panel_names_a_record_set_aside(fleet, noc, page, login, screenshot):
    """A device record the dashboard cannot store (a 30-digit type, which a real upstream
    accepted) no longer fails every poll: the poll succeeds and the panel names it."""
    fleet.answer_fields(1042, type=123456789012345678901234567890)
    fleet.poll()

    login(noc.username, PASSWORD)

    panel = page.locator("section", has=page.get_by_role("heading", name="Poller health"))
    expect(panel).to_contain_text(
        "1 device record set aside: id 1042: type is not a number the dashboard can store."
    )
    expect(panel).not_to_contain_text("failure")
    panel.scroll_into_view_if_needed()
    screenshot("overview-record-set-aside")
