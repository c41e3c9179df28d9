"""The wall's Down now panel with the stale warning in the corner, in real Chromium: rows
the screen cannot hold are not drawn half-cut, and every count on the screen agrees with
the rows drawn. The page's clock is Playwright's, so a refresh comes when the test says."""

import contextlib
import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from devices.views import REFRESH_SECONDS
from fleet.polling import PollFailed
from tests.fixtures.users import PASSWORD, make_user
from wall.models import WallSettings

REFRESH_MS = (REFRESH_SECONDS + 1) * 1000
LISTED = 12  # wall.panels.TRIAGE_ROWS


@pytest.fixture
def display(organizations):
    return make_user("noc-wall", noc_role=Role.DISPLAY)


def rows_drawn(page) -> int:
    """The Down now rows a person sees whole: each drawn row must end above the screen's
    edge (a row cut in half by it is what the user reported)."""
    edge = page.locator(".wall-main").bounding_box()
    bottom = edge["y"] + edge["height"]
    drawn = 0
    for row in page.locator("#wall-panel-triage tbody tr").all():
        if row.is_visible():
            box = row.bounding_box()
            assert box["y"] + box["height"] <= bottom + 1, row.inner_text()
            drawn += 1
    return drawn


def assert_counts_agree(page, down_total: int) -> int:
    """The headline and the corner say as many rows as are drawn; returns that number."""
    drawn = rows_drawn(page)
    headline = page.locator("#wall-panel-triage .wall-headline")
    cut = page.locator("[data-wall-cut]")
    if drawn < down_total:
        expect(headline).to_contain_text(
            f"· the {drawn} most recent below, {down_total - drawn} more not shown"
        )
    else:
        expect(headline).not_to_contain_text("more not shown")
    if drawn < LISTED:
        expect(cut).to_have_text(
            f"{LISTED - drawn} of {LISTED} devices below the screen's edge, not shown"
        )
    else:
        expect(cut).to_be_hidden()
    return drawn


def lines_of_seconds_left(page) -> int:
    """How many lines the rotation's "in 29 s" takes, by its rendered boxes (-1: not said)."""
    return page.locator("[data-wall-rotation]").evaluate(
        """label => {
          const text = label.firstChild, found = /in\\s\\d+\\ss/.exec(text.data);
          if (!found) return -1;
          const range = document.createRange();
          range.setStart(text, found.index);
          range.setEnd(text, found.index + found[0].length);
          return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
        }"""
    )


@pytest.mark.parametrize("width, height", [(1366, 768), (1920, 1080)])
def test_with_the_upstream_down_no_row_is_cut_in_half_and_the_counts_agree(
    fleet, display, page, login, settings, screenshot, width, height
):
    """Before, the corner's four-line stale warning cut the 10th row in half while the
    headline still said "the 12 most recent below", and "Profile health in 29 s" left its
    "s" alone on a line."""
    for device in [d for d in fleet.devices() if d.is_up][:14]:
        fleet.set_status(device.id, up=False)
    fleet.poll()
    down_total = len(fleet.devices(status=False))
    page.set_viewport_size({"width": width, "height": height})
    WallSettings.objects.create(user=display, panels=["overview", "triage", "profiles"],
                                seconds=60)  # fmt: skip
    page.clock.install()
    login(display.username, PASSWORD)
    expect(page).to_have_url("/wall/")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#wall-panel-triage")).to_be_visible()

    fleet.set_faults(outage_seconds=3600)  # the upstream down: the next poll fails
    with contextlib.suppress(PollFailed):
        fleet.poll()
    settings.POLL_INTERVAL_SECONDS = 0.001  # the data stale at the next refresh
    page.clock.run_for(REFRESH_MS)
    expect(page.get_by_role("alert")).to_contain_text("The last poll failed")
    rotation = page.locator("[data-wall-rotation]")
    expect(rotation).to_contain_text(re.compile(r"next: Profile health in\s\d+\ss"))
    screenshot(f"wall-down-now-upstream-down-{width}")

    drawn = assert_counts_agree(page, down_total)
    assert drawn < LISTED  # the warning takes room: the case is exercised
    assert lines_of_seconds_left(page) == 1

    # The upstream back and the data fresh: the rows hidden for the warning come back.
    fleet.clear_faults()
    fleet.poll()
    settings.POLL_INTERVAL_SECONDS = 3600
    page.clock.run_for(REFRESH_MS)
    expect(page.locator(".wall-edge")).to_have_count(0)
    assert assert_counts_agree(page, down_total) > drawn
