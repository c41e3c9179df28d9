"""The device list right after start, in real Chromium: Redis is up and the first poll
has not finished, so the page reads the control API and says the cache is being
filled, never that Redis is unavailable."""

from playwright.sync_api import expect

from simulator.control import SimulatorControl
from tests.fixtures.users import PASSWORD


def test_before_the_first_poll_the_list_says_only_that_the_cache_is_filling(
    settings, simulator, redis_url, noc, page, login, screenshot
):
    SimulatorControl(simulator.base_url, simulator.control_token).reset()
    settings.REDIS_URL = redis_url  # up, with nothing polled under this test's prefix
    login(noc.username, PASSWORD)

    page.goto("/devices/")

    expect(page.get_by_text("The fleet cache is still being filled;")).to_be_visible()
    expect(page.locator(".fleet-row").first).to_be_visible()
    screenshot("devices-before-first-poll")
    expect(page.get_by_text("Degraded mode")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("unavailable")
