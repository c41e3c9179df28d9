"""The triage board in real Chromium: its periodic refresh keeps what is being typed, and its
row actions stay on screen at the widths NOC screens have.

The page's clock is Playwright's: `page.clock.run_for` moves time past the board's refresh
interval at once, so no test waits for a real 10 s tick.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from devices.views import REFRESH_SECONDS
from fleet import polling
from maintenance_windows.models import MaintenanceWindow
from tests.fixtures.users import ORG_A, ORG_B, PASSWORD

PAST_A_REFRESH_MS = (REFRESH_SECONDS + 1) * 1000

# Counts the board's requests as htmx starts and ends them, so a test knows when a refresh that
# did start has been swapped in. htmx ends a request on the board it replaced, which has left the
# document by then: hence the listener on that element itself.
COUNT_BOARD_REQUESTS = """
window.boardRequests = {started: 0, ended: 0};
document.addEventListener("htmx:beforeRequest", function (e) {
  if (e.target.id !== "triage-board") return;
  window.boardRequests.started += 1;
  e.target.addEventListener("htmx:afterRequest", function () {
    window.boardRequests.ended += 1;
  }, {once: true});
});
"""


@pytest.fixture
def board(fleet, noc, page, login):
    """The noc user on /triage/, with the page's clock under the test's control."""
    login(noc.username, PASSWORD)
    page.add_init_script(COUNT_BOARD_REQUESTS)
    page.clock.install()
    page.goto("/triage/")
    expect(page.locator("[data-kind=down] .triage-row").first).to_be_visible()
    return page


def let_a_refresh_pass(page):
    """Moves the page's clock past one refresh interval and waits for any refresh it started."""
    page.clock.run_for(PAST_A_REFRESH_MS)
    page.wait_for_function(
        "() => window.boardRequests.started === window.boardRequests.ended", polling=50
    )


def note_field(page, nth=0):
    row = page.locator("[data-kind=down] .triage-row").nth(nth)
    return row.get_by_placeholder("note (optional)")


def test_a_note_being_typed_survives_the_boards_refresh(board):
    note = note_field(board)
    note.click()
    board.keyboard.type("driving to the site, ETA 20 min")

    let_a_refresh_pass(board)

    expect(note).to_have_value("driving to the site, ETA 20 min")
    expect(note).to_be_focused()


def test_a_typed_note_not_sent_survives_the_refresh_after_focus_moves_away(board):
    note = note_field(board)
    note.fill("calling the customer first")
    board.get_by_role("heading", name="Triage", exact=True).click()
    expect(note).not_to_be_focused()

    let_a_refresh_pass(board)

    expect(note).to_have_value("calling the customer first")
    expect(board.locator("#triage-paused")).to_contain_text("stops refreshing while a note")


def test_claiming_one_device_keeps_the_note_typed_for_another(board):
    first, second = note_field(board, 0), note_field(board, 1)
    second_row = board.locator("[data-kind=down] .triage-row").nth(1)
    second_id = second_row.get_attribute("data-device-id")
    first.fill("waiting for the field team")
    second.fill("on the phone with the site")

    second_row.get_by_role("button", name="I'm on it").click()

    claimed = board.locator(f'[data-kind=down] tr[data-device-id="{second_id}"] .claim')
    expect(claimed).to_contain_text("on the phone with the site")
    expect(note_field(board, 0)).to_have_value("waiting for the field team")


def test_the_board_refreshes_while_nobody_is_typing(board, fleet):
    device = next(d for d in fleet.devices(status=True))
    fleet.set_status(device.id, up=False)
    fleet.poll()  # as the worker's next poll would
    row = board.locator(f'[data-kind=down] tr[data-device-id="{device.id}"]')
    expect(row).to_have_count(0)

    let_a_refresh_pass(board)

    expect(row).to_be_visible()


def test_the_board_refreshes_again_once_a_typed_note_is_cleared(board, fleet):
    note = note_field(board)
    note.fill("never mind")
    note.fill("")
    board.get_by_role("heading", name="Triage", exact=True).click()
    device = next(d for d in fleet.devices(status=True))
    fleet.set_status(device.id, up=False)
    fleet.poll()

    let_a_refresh_pass(board)

    expect(board.locator(f'[data-kind=down] tr[data-device-id="{device.id}"]')).to_be_visible()
    expect(board.locator("#triage-paused")).to_be_hidden()


@pytest.mark.parametrize("width", [640, 1024, 1280, 1920])
def test_row_actions_are_on_screen_and_the_page_does_not_scroll_sideways(
    fleet, noc, page, login, screenshot, width
):
    login(noc.username, PASSWORD)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/triage/")
    # A claim with a long note is the widest a row gets.
    row = page.locator("[data-kind=down] .triage-row").first
    row.get_by_placeholder("note (optional)").fill(
        "power cut at the site since 02:10, the landlord has the key, calling back at 03:00 "
        "ticket INC-2026-004711-NORLINK-TORONTO-REGIONAL-OFFICE"
    )
    row.get_by_role("button", name="I'm on it").click()
    expect(row.locator(".claim")).to_be_visible()
    screenshot(f"triage-{width}")

    buttons = page.locator(".triage-actions button")
    assert buttons.count() > 0
    for box in (buttons.nth(i).bounding_box() for i in range(buttons.count())):
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width >= 1024:  # from a laptop up, whole rows show without scrolling the table
        wraps = page.locator(".table-wrap").evaluate_all(
            "wraps => wraps.map(w => w.scrollWidth - w.clientWidth)"
        )
        assert set(wraps) == {0}
    # A wide screen is used: the board is not held to a reading column.
    table = page.locator("[data-kind=down]").bounding_box()
    assert table["width"] >= width - 64


# --- grouped by cause -------------------------------------------------------------------------


def take_down(fleet, devices):
    for device in devices:
        fleet.set_status(device.id, up=False)
    fleet.poll()


def test_devices_down_together_are_one_group_and_one_list_is_a_click_away(fleet, board):
    outage = [d for d in fleet.devices(status=True)][:5]
    take_down(fleet, outage)
    group = board.locator(f'.triage-group[data-group="{outage[0].id}"]')

    let_a_refresh_pass(board)  # the board shows the outage by itself

    expect(group.locator(".group-summary")).to_contain_text("5 Down since")
    board.get_by_role("link", name="One list").click()
    expect(board).to_have_url(re.compile(r"/triage/\?view=list$"))
    expect(board.locator(".triage-group")).to_have_count(0)
    for device in outage:
        expect(board.locator(f'[data-kind=down] tr[data-device-id="{device.id}"]')).to_be_visible()
    let_a_refresh_pass(board)  # the refresh keeps the view
    expect(board.locator("#triage-board")).to_have_attribute("data-view", "list")
    board.get_by_role("link", name="Grouped by cause").click()
    expect(group).to_be_visible()


def test_claiming_a_group_shows_who_is_on_it(fleet, board):
    outage = [d for d in fleet.devices(status=True)][:3]
    take_down(fleet, outage)
    board.reload()
    group = board.locator(f'.triage-group[data-group="{outage[0].id}"]')

    group.get_by_placeholder("note for the group (optional)").fill("fibre cut, crew on the way")
    group.get_by_role("button", name="I'm on it (all 3)").click()

    expect(group.locator(".group-claim")).to_contain_text("noc is on this group: fibre cut")
    expect(group.locator("[data-kind=group] .claim-cell").first).to_contain_text(
        "with the group's claim"
    )


@pytest.mark.parametrize("who", ["noc", "tenant_admin"])
def test_a_large_outage_is_one_group_above_the_scattered_devices(
    fleet, page, login, screenshot, request, who
):
    """300 devices Down in one outage and the fleet's few scattered ones, as NOC staff (every
    organization) and as a tenant admin (organization 5 only)."""
    fleet.resize(900)
    fleet.poll()
    polling.poll_profiles(model=fleet.model, api_factory=fleet.api)
    # Mostly devices of one type (one connection profile), as when a profile's server fails.
    ours = [d for d in fleet.devices(status=True) if d.organization_id in (ORG_A, ORG_B)]
    outage = sorted(ours, key=lambda d: d.type != 21)[:300]
    take_down(fleet, outage)
    user = request.getfixturevalue(who)
    login(user.username, PASSWORD)
    page.set_viewport_size({"width": 1440, "height": 1000})

    page.goto("/triage/")

    visible = [d for d in outage if who == "noc" or d.organization_id == ORG_A]
    first = page.locator(".triage-group").first
    expect(first).to_have_attribute("data-size", str(len(visible)))
    expect(first.locator(".group-summary")).to_contain_text(f"{len(visible)} Down since")
    expect(first.locator("[data-kind=group] .triage-row")).to_have_count(10)
    expect(first).to_contain_text(f"all {len(visible)} in one list")
    screenshot(f"triage-grouped-{who}")
    if who == "tenant_admin":
        expect(first.locator(".group-summary")).to_contain_text("all organization")
        assert "organization 7" not in page.content()


def test_devices_in_a_maintenance_window_show_apart_with_its_reason(
    fleet, noc, page, login, screenshot
):
    outage = [d for d in fleet.devices(status=True) if d.organization_id == ORG_A][:6]
    take_down(fleet, outage)
    now = datetime.now(UTC)
    MaintenanceWindow.objects.create(
        organization_id=ORG_A, device_ids=[d.id for d in outage[:2]],
        reason="core switch replacement", owner_name="noc",
        starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(hours=2),
    )  # fmt: skip
    login(noc.username, PASSWORD)
    page.set_viewport_size({"width": 1024, "height": 1400})

    page.goto("/triage/")

    apart = page.get_by_role("region", name="Down in maintenance")
    expect(apart.get_by_role("heading")).to_have_text("Down in maintenance 2")
    expect(apart.locator(".triage-row")).to_have_count(2)
    expect(apart.locator(".badge-maintenance").first).to_contain_text(
        "in maintenance (core switch replacement, until"
    )
    expect(page.locator(f'.triage-group[data-group="{outage[2].id}"]')).to_have_attribute(
        "data-size", "4"
    )
    page.get_by_role("link", name="2 in maintenance").click()  # the count's link to them
    expect(apart.get_by_role("heading")).to_be_in_viewport()
    screenshot("triage-maintenance-1024")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    # The window's words wrap: the rows fit without scrolling sideways.
    wraps = page.locator(".table-wrap").evaluate_all(
        "wraps => wraps.map(w => w.scrollWidth - w.clientWidth)"
    )
    assert set(wraps) == {0}
