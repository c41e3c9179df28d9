"""The wall screen in real Chromium: it rotates from panel to panel, its panels follow the
fleet without a reload, and its edge turns red when the data goes stale. The page's clock is
Playwright's, so a rotation or a refresh comes when the test says."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Organization, Role
from devices.views import REFRESH_SECONDS
from saved_views.models import SavedView
from tests.fixtures.users import ORG_A, PASSWORD, make_user
from wall.models import WallSettings

REFRESH_MS = (REFRESH_SECONDS + 1) * 1000


@pytest.fixture
def display(organizations):
    return make_user("noc-wall", noc_role=Role.DISPLAY)


@pytest.fixture
def violations(page):
    """Every Content-Security-Policy violation Chromium reports on `page`."""
    seen = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and seen.append(message.text),
    )
    return seen


def open_wall(page, login, user, *, panels, seconds):
    WallSettings.objects.create(user=user, panels=panels, seconds=seconds)
    page.clock.install()
    login(user.username, PASSWORD)  # a display account lands on the wall
    expect(page).to_have_url("/wall/")
    # Gone if the page were loaded again: panels must swap their parts, not reload the page.
    page.evaluate("window.wallMark = 1")


def panel(page, key):
    return page.locator(f"#wall-panel-{key}")


def test_the_wall_rotates_from_panel_to_panel_and_pauses(
    fleet, display, page, login, violations, screenshot
):
    open_wall(page, login, display, panels=["overview", "triage", "profiles"], seconds=5)
    rotation = page.locator("[data-wall-rotation]")

    expect(panel(page, "overview")).to_be_visible()
    expect(panel(page, "triage")).to_be_hidden()
    expect(rotation).to_have_text("Panel 1 of 3 · next: Down now in 5 s")
    screenshot("wall-overview")

    page.clock.run_for(5000)
    expect(panel(page, "triage")).to_be_visible()
    expect(panel(page, "overview")).to_be_hidden()
    expect(rotation).to_contain_text("Panel 2 of 3 · next: Profile health")
    screenshot("wall-triage")

    page.clock.run_for(5000)
    expect(panel(page, "profiles")).to_be_visible()
    page.clock.run_for(5000)
    expect(panel(page, "overview")).to_be_visible()

    page.get_by_role("button", name="Pause").click()
    expect(rotation).to_have_text("Panel 1 of 3 · paused")
    page.clock.run_for(12_000)
    expect(panel(page, "overview")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(panel(page, "triage")).to_be_visible()
    assert page.evaluate("window.wallMark") == 1
    assert violations == []


def test_the_panels_follow_the_fleet_without_a_reload(
    fleet, display, page, login, violations, screenshot
):
    view = SavedView.objects.create(name="Org 5", owner=display, organization_id=ORG_A,
                                    query={"organization": str(ORG_A)})  # fmt: skip
    open_wall(page, login, display, panels=["overview", "triage", f"view-{view.pk}"],
              seconds=3600)  # fmt: skip
    tile = panel(page, "overview").locator(f'.wall-tile[data-org="{ORG_A}"]')
    down_before = len(fleet.devices(status=False, organization=ORG_A))
    all_down_before = len(fleet.devices(status=False))
    expect(tile.locator('[data-count="down"]')).to_have_text(str(down_before))

    went_down = fleet.devices(status=True, organization=ORG_A)[:4]
    for device in went_down:
        fleet.set_status(device.id, up=False)
    fleet.poll()  # as the worker's next poll would
    page.clock.run_for(REFRESH_MS)

    up = len(fleet.devices(status=True, organization=ORG_A))
    expect(tile.locator('[data-count="down"]')).to_have_text(str(down_before + 4))
    expect(tile.locator('[data-count="up"]')).to_have_text(str(up))
    # The hidden panels refreshed too: shown next, they are current.
    page.get_by_role("button", name="Next").click()
    expect(panel(page, "triage").locator('[data-count="down-now"]')).to_have_text(
        str(all_down_before + 4)
    )
    page.get_by_role("button", name="Next").click()
    view_tile = panel(page, f"view-{view.pk}")
    expect(view_tile.locator(".view-tile-down dd")).to_have_text(str(down_before + 4))
    expect(view_tile.locator(".view-tile-up dd")).to_have_text(str(up))
    expect(view_tile.locator(".view-tile-down-devices")).to_contain_text(went_down[0].name)
    screenshot("wall-saved-view")
    assert page.evaluate("window.wallMark") == 1
    assert violations == []


def test_the_edge_turns_red_when_the_data_goes_stale(
    fleet, display, page, login, settings, screenshot
):
    open_wall(page, login, display, panels=["overview"], seconds=30)
    expect(page.locator(".wall-age")).to_contain_text("old")
    expect(page.locator(".wall-edge")).to_have_count(0)

    # Polls due every millisecond: the data is three intervals old at the next refresh.
    settings.POLL_INTERVAL_SECONDS = 0.001
    page.clock.run_for(REFRESH_MS)

    edge = page.locator(".wall-edge")
    expect(edge).to_be_visible()
    expect(edge).to_have_css("border-top-color", "rgb(248, 81, 73)")
    expect(page.get_by_role("alert")).to_contain_text("No poll has run since")
    screenshot("wall-stale")

    settings.POLL_INTERVAL_SECONDS = 3600  # fresh again: the edge goes
    page.clock.run_for(REFRESH_MS)
    expect(page.locator(".wall-edge")).to_have_count(0)
    assert page.evaluate("window.wallMark") == 1


def test_the_edge_turns_red_when_the_dashboard_does_not_answer_a_refresh(
    fleet, display, page, login, screenshot
):
    """The dashboard (or the network to it) down: the last figures and their age stood as
    if fresh; the corner says the refresh failed and the edge turns red until one answers."""
    open_wall(page, login, display, panels=["overview"], seconds=30)
    expect(page.locator(".wall-edge")).to_have_count(0)

    page.route("**/wall/**", lambda route: route.abort())
    page.clock.run_for(REFRESH_MS)

    expect(page.locator(".wall-edge")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("did not answer")
    screenshot("wall-unreachable")

    page.unroute("**/wall/**")
    page.clock.run_for(REFRESH_MS)
    expect(page.locator(".wall-edge")).to_have_count(0)
    assert page.evaluate("window.wallMark") == 1


def test_a_saved_view_deleted_while_on_the_wall_says_so_instead_of_its_last_counts(
    fleet, display, page, login
):
    view = SavedView.objects.create(name="Down", owner=None, organization_id=ORG_A, query={})
    key = f"view-{view.pk}"
    open_wall(page, login, display, panels=[key], seconds=30)
    expect(panel(page, key).locator(".view-tile-down dd")).to_be_visible()

    view.delete()
    page.clock.run_for(REFRESH_MS)

    expect(panel(page, key)).to_contain_text("no longer available")
    expect(panel(page, key).locator(".view-tile-down dd")).to_have_count(0)
    expect(page.locator(".wall-edge")).to_have_count(0)
    assert page.evaluate("window.wallMark") == 1


def test_a_wall_whose_session_ended_goes_to_the_login_page_and_back(fleet, display, page, login):
    open_wall(page, login, display, panels=["overview"], seconds=30)

    page.context.clear_cookies()  # the session ends (expired, or the password changed)
    page.clock.run_for(REFRESH_MS)

    expect(page).to_have_url("/accounts/login/?next=/wall/")
    expect(page.locator(".wall-panel")).to_have_count(0)
    page.get_by_label("Username").fill(display.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url("/wall/")


@pytest.mark.parametrize("width", [900, 1100, 1400, 1700])
def test_a_count_and_its_word_stay_on_one_line(fleet, display, page, login, width):
    """A tile's "34" and its "Down" were split over two lines on narrower tiles; neither
    may leave its tile."""
    page.set_viewport_size({"width": width, "height": 900})
    open_wall(page, login, display, panels=["overview"], seconds=30)
    counts = panel(page, "overview").locator(".wall-up, .wall-down")
    expect(counts.first).to_be_visible()
    # Counts of an organization of a million devices (the test fleet's are two digits).
    counts.evaluate_all("els => els.forEach(e => e.firstElementChild.textContent = '1000000')")
    lines = counts.evaluate_all("els => els.map(e => e.getClientRects().length)")
    assert lines and set(lines) == {1}, lines
    outside = counts.evaluate_all(
        "els => els.filter(e => e.getBoundingClientRect().right >"
        " e.closest('.wall-tile').getBoundingClientRect().right).map(e => e.textContent)"
    )
    assert outside == []


@pytest.mark.parametrize("width, height", [(1920, 1080), (1366, 768)])
def test_the_down_now_panel_and_its_footer_fit_the_screen(
    fleet, display, page, login, screenshot, width, height
):
    """Before, twelve Down devices made the panel 1758 px tall on a 1920x1080 screen: the
    data's age, the stale warning and the controls were below the screen's edge."""
    for device in [d for d in fleet.devices() if d.is_up][:14]:
        fleet.set_status(device.id, up=False)
    fleet.poll()
    page.set_viewport_size({"width": width, "height": height})
    open_wall(page, login, display, panels=["triage"], seconds=30)

    rows = panel(page, "triage").locator("tbody tr")
    expect(rows).to_have_count(12)
    expect(panel(page, "triage")).to_contain_text("· the 12 most recent below,")
    screenshot(f"wall-down-now-{width}")
    corner = page.locator(".wall-corner").bounding_box()
    assert corner["y"] + corner["height"] <= height
    last = rows.last.bounding_box()
    assert last["y"] + last["height"] <= corner["y"]
    assert page.evaluate("document.scrollingElement.scrollHeight") <= height


@pytest.mark.parametrize(
    ("organizations_more", "tile_class"), [(15, "wall-tiles-many"), (80, "wall-tiles-most")]
)
def test_an_overview_of_more_organizations_than_the_screen_holds_says_how_many_are_cut(
    fleet, display, page, login, screenshot, organizations_more, tile_class
):
    """Before, tiles past the screen's edge were cut with nothing said: the wall looked
    complete. Many organizations get smaller tiles, and the corner counts those cut."""
    calm = page.locator("[data-wall-cut]")
    page.set_viewport_size({"width": 1366, "height": 768})
    open_wall(page, login, display, panels=["overview"], seconds=30)
    expect(calm).to_be_hidden()  # the fleet's few organizations fit

    Organization.objects.bulk_create(
        Organization(upstream_id=1000 + n, name=f"Regional operator {n}")
        for n in range(organizations_more)
    )
    page.reload()

    tiles = panel(page, "overview").locator(".wall-tiles")
    expect(tiles).to_have_class(re.compile(tile_class))
    screenshot(f"wall-overview-{organizations_more}-more")
    edge = page.locator(".wall-main").bounding_box()
    bottoms = [
        box["y"] + box["height"]
        for box in (tile.bounding_box() for tile in tiles.locator("li").all())
    ]
    cut = sum(bottom > edge["y"] + edge["height"] + 1 for bottom in bottoms)
    if cut:
        expect(calm).to_have_text(
            f"{cut} of {len(bottoms)} organizations below the screen's edge, not shown"
        )
    else:
        expect(calm).to_be_hidden()
    assert organizations_more < 80 or cut  # eighty more do not fit: the case is exercised


def test_down_now_rows_hidden_by_a_stale_warning_are_counted_in_the_corner(
    fleet, display, page, login, settings, screenshot
):
    """Before, the stale warning grew the corner over the last rows of Down now: the
    headline said 12 below and 10 could be seen."""
    for device in [d for d in fleet.devices() if d.is_up][:14]:
        fleet.set_status(device.id, up=False)
    fleet.poll()
    page.set_viewport_size({"width": 1366, "height": 768})
    open_wall(page, login, display, panels=["triage"], seconds=30)
    settings.POLL_INTERVAL_SECONDS = 0.001  # stale at the next refresh
    page.clock.run_for(REFRESH_MS)
    expect(page.get_by_role("alert")).to_contain_text("No poll has run since")

    edge = page.locator(".wall-main").bounding_box()
    rows = [r.bounding_box() for r in panel(page, "triage").locator("tbody tr").all()]
    cut = sum(r["y"] + r["height"] > edge["y"] + edge["height"] + 1 for r in rows)
    screenshot("wall-down-now-stale-1366")
    assert cut  # the warning takes room: the case is exercised
    expect(page.locator("[data-wall-cut]")).to_have_text(
        f"{cut} of {len(rows)} devices below the screen's edge, not shown"
    )
