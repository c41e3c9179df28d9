"""The profile pages in real Chromium: filter the list by name, read the counts, open a
failing profile and read why it fails."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from common import profile_health as health
from controlapi import ControlAPI
from fleet.polling import poll_profiles
from fleet.read_model import ReadModel
from tests.fixtures.simulator import ALL_TOKEN
from tests.fixtures.users import PASSWORD


@pytest.fixture
def polled(settings, simulator, redis_url, redis_client, key_prefix):
    """The profile poll has run once; the live server reads this test's snapshot."""
    settings.REDIS_URL = redis_url
    model = ReadModel(redis_client, key_prefix)
    poll_profiles(
        model=model, api_factory=lambda: ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0)
    )
    return model.read_profiles()


def test_the_list_filters_by_name_and_counts_by_health(polled, noc, page, login, screenshot):
    login(noc.username, PASSWORD)
    page.goto("/profiles/")
    counts = page.get_by_role("navigation", name="Profiles by health")
    expect(counts.get_by_role("link", name="All")).to_contain_text(str(len(polled.items)))

    page.get_by_label("Name contains").fill("ledger")
    page.wait_for_url("**/profiles/?name=ledger**")  # htmx swapped the results and pushed the URL
    expected = [p for p in polled.items if "ledger" in p.name.lower()]
    rows = page.locator(".profile-table tbody tr")
    expect(rows).to_have_count(len(expected))
    expect(counts.get_by_role("link", name="All")).to_contain_text(str(len(expected)))
    screenshot("profiles")

    counts.get_by_role("link", name="Failing").click()
    page.wait_for_url("**/profiles/?name=ledger&state=failing")
    now = datetime.now(UTC)
    failing = [p for p in expected if health.judge(p, now).state == health.FAILING]
    expect(page.locator(".profile-table tbody .badge-health")).to_have_text(
        ["Failing"] * len(failing)
    )


def test_a_failing_profiles_detail_says_why(polled, noc, page, login, screenshot):
    failing = next(p for p in polled.items if p.shape == "v2" and p.last_sync_status == "failed")
    login(noc.username, PASSWORD)
    page.goto("/profiles/?state=failing")
    page.get_by_role("link", name=failing.name).click()

    expect(page.get_by_role("heading", name="Health: Failing")).to_be_visible()
    signals = page.locator(".health-signals")
    expect(signals.locator("tr.signal-failing").first).to_be_visible()
    expect(signals).to_contain_text("The last sync failed")
    screenshot("profile-detail")


@pytest.fixture
def no_snapshot(settings, redis_url, key_prefix):
    """The live server reads this test's key prefix, where no profile poll has run."""
    settings.REDIS_URL = redis_url


def test_a_profile_that_cannot_be_read_says_why_then_keeps_what_it_read(
    no_snapshot, sim_control, noc, page, login, screenshot
):
    login(noc.username, PASSWORD)
    sim_control.set_faults(outage_seconds=3600)
    page.goto("/profiles/3/")
    expect(page.get_by_role("heading", name="Profile #3 cannot be read right now")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(
        "The profiles have not been polled yet, and the control API could not be read either"
    )
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()  # the site's layout
    screenshot("profile-unreadable")

    sim_control.clear_faults()
    page.get_by_role("link", name="Try again").click()
    expect(page.get_by_role("heading", name="Health:")).to_be_visible()
    name = page.locator("h1").inner_text()

    sim_control.set_faults(outage_seconds=3600)
    page.reload()
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator(".notice-warning")).to_contain_text(
        "This is the copy last read from the control API."
    )
    expect(page.locator(".as-of")).to_contain_text(
        "when this profile was last read from the control API"
    )
    screenshot("profile-kept-copy")
