"""The triage board on a phone (390 px, the on-call engineer away from a desk): each device
is a card whose name, time Down, status and "I'm on it" are all in view, nothing to scroll
sideways."""

from playwright.sync_api import expect

from tests.fixtures.users import PASSWORD


def test_a_down_device_can_be_read_and_claimed_on_a_phone(fleet, noc, page, login, screenshot):
    """Before, the board's table was 956 px wide at 390 px: "Down for", the status and the
    "I'm on it" of each device were off screen to the right."""
    page.set_viewport_size({"width": 390, "height": 844})
    login(noc.username, PASSWORD)
    page.goto("/triage/?view=list")
    row = page.locator('.triage-table[data-kind="down"] .triage-row').first
    expect(row).to_be_visible()
    screenshot("triage-phone")

    width = page.evaluate("innerWidth")
    for part in ("a", ".badge", "button:text('I\\'m on it')", "button:text('Reboot')"):
        box = row.locator(part).first.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, part
    label = row.locator("td[data-label]").evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"Down for: "'

    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    wraps = page.locator(".table-wrap").evaluate_all(
        "els => els.filter(e => e.scrollWidth > e.clientWidth).length"
    )
    assert wraps == 0
