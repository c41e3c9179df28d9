"""Keyboard-only use in real Chromium: Esc leaves the device search without undoing it, and a
claim or release on the triage board leaves focus on the row it was made on."""

from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from tests.fixtures.users import PASSWORD

# Longer than the search box's 500 ms typing delay, so a search Esc had set off would have begun.
PAST_THE_SEARCH_DELAY_MS = 1500


def shown_ids(page):
    return page.locator(".fleet-row").evaluate_all("rows => rows.map(r => r.dataset.deviceId)")


def test_esc_leaves_the_search_box_and_keeps_the_filter_and_the_list(fleet, noc, page, login):
    # A name's type and place ("HGW-BOG"): many devices, not all of them.
    name = next(d.name for d in fleet.devices() if d.name.startswith("HGW-"))
    query = "-".join(name.split("-")[:2])
    login(noc.username, PASSWORD)
    page.goto(f"/devices/?q={query}")
    filtered = shown_ids(page)
    assert filtered and len(filtered) < len(fleet.devices())
    list_requests = []
    page.on("request", lambda r: list_requests.append(r.url) if "/devices/" in r.url else None)

    page.keyboard.press("/")
    search = page.locator("#fleet-q")
    expect(search).to_be_focused()
    page.keyboard.press("Escape")
    page.wait_for_timeout(PAST_THE_SEARCH_DELAY_MS)

    expect(search).not_to_be_focused()
    expect(search).to_have_value(query)
    assert list_requests == []
    assert parse_qs(urlsplit(page.url).query)["q"] == [query]
    assert shown_ids(page) == filtered
    page.keyboard.press("j")  # the list's keys work again at once
    expect(page.locator(".fleet-row.is-current")).to_have_attribute("data-device-id", filtered[0])


def test_claim_and_release_by_keyboard_keep_focus_on_the_row(fleet, noc, page, login):
    login(noc.username, PASSWORD)
    page.goto("/triage/?view=list")
    row = page.locator("[data-kind=down] .triage-row").first
    device_id = row.get_attribute("data-device-id")
    row = page.locator(f'[data-kind=down] .triage-row[data-device-id="{device_id}"]')
    # Into the row's note by keyboard, then Tab to its button, as the user would.
    row.get_by_placeholder("note (optional)").focus()
    page.keyboard.press("Tab")
    expect(row.get_by_role("button", name="I'm on it")).to_be_focused()

    page.keyboard.press("Enter")

    expect(row.locator(".claim")).to_contain_text(noc.username)
    release = row.get_by_role("button", name="Release")
    expect(release).to_be_focused()

    page.keyboard.press("Enter")

    expect(row.locator(".claim")).to_have_count(0)
    expect(row.get_by_role("button", name="I'm on it")).to_be_focused()
    # The next Tab goes on from the row, not back to the top of the page.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.triage-row') !== null")


def test_claim_and_release_of_a_group_by_keyboard_keep_focus_on_the_group(fleet, noc, page, login):
    outage = [d for d in fleet.devices(status=True)][:3]
    for device in outage:
        fleet.set_status(device.id, up=False)
    fleet.poll()
    login(noc.username, PASSWORD)
    page.goto("/triage/")
    group = page.locator(f'.triage-group[data-group="{outage[0].id}"]')
    group.get_by_placeholder("note for the group (optional)").focus()
    page.keyboard.press("Tab")

    page.keyboard.press("Enter")

    expect(group.get_by_role("button", name="Release the group")).to_be_focused()
    page.keyboard.press("Enter")
    expect(group.get_by_role("button", name="I'm on it (all 3)")).to_be_focused()


def test_a_claim_by_mouse_leaves_focus_off_the_board_so_it_keeps_refreshing(
    fleet, noc, page, login
):
    login(noc.username, PASSWORD)
    page.goto("/triage/?view=list")
    row = page.locator("[data-kind=down] .triage-row").first
    device_id = row.get_attribute("data-device-id")
    row = page.locator(f'[data-kind=down] .triage-row[data-device-id="{device_id}"]')

    row.get_by_role("button", name="I'm on it").click()

    expect(row.locator(".claim")).to_contain_text(noc.username)
    assert page.evaluate("window.triageRefreshAllowed()")
