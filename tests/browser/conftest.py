"""Browser test harness: the dashboard on a live server, in front of the in-process simulator,
driven by real headless Chromium through Playwright.

Playwright's sync API runs an event loop in this thread, which makes Django refuse ORM calls
from it ("async unsafe"); the tests only touch the ORM for fixtures, outside any coroutine.
"""

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from django.db import connections  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from controlapi import ControlAPI  # noqa: E402
from fleet import polling  # noqa: E402
from fleet.polling import PollConfig  # noqa: E402
from fleet.read_model import ReadModel  # noqa: E402
from simulator.control import SimulatorControl  # noqa: E402
from tests.fixtures.simulator import ALL_TOKEN

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
# The README shows docs/screenshots/; a normal run writes to test-results/ so that running the
# tests leaves the work tree clean. UPDATE_SCREENSHOTS=1 ./run test refreshes the README's.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else ROOT / "test-results" / "screenshots"
)


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).parent.name == "browser":
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. Install it with "
            "'sudo apt-get install -y chromium' (or set CHROMIUM=/path/to/chromium).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # While Playwright runs, the tests run in a context of its own, where Django keeps
        # connections apart from the session's: closed here, or the test database cannot be
        # dropped at the end ("is being accessed by other users").
        connections.close_all()


@pytest.fixture
def dashboard_url(live_server, settings, simulator, key_prefix):
    """The live dashboard's address, talking to the session's simulator; its pages read the
    fleet cache under this test's key prefix."""
    settings.CONTROL_API_URL = simulator.api_url
    settings.CONTROL_API_TOKEN = ALL_TOKEN
    return live_server.url


@pytest.fixture
def page(chromium, dashboard_url):
    context = chromium.new_context(base_url=dashboard_url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login(page):
    """Logs a user in through the login form, as a person would."""

    def login(username, password):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    return login


@pytest.fixture
def screenshot(page):
    """Saves the page as SCREENSHOTS/<name>.png."""

    def screenshot(name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)

    return screenshot


@pytest.fixture
def fleet(settings, simulator, redis_url, redis_client, key_prefix):
    """A still simulator fleet, polled once into this test's keys; `poll()` polls again."""
    control = SimulatorControl(simulator.base_url, simulator.control_token)
    control.reset()
    control.settings(churn_per_minute=0, flap_seconds=[1e9, 1e9])
    settings.REDIS_URL = redis_url
    model = ReadModel(redis_client, key_prefix)

    def api():
        return ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0)

    def poll():
        polling.poll_fleet(model=model, api_factory=api, config=PollConfig(page_size=100),
                           mode="full")  # fmt: skip

    def devices(**filters):
        with api() as client:
            return list(client.iter_devices(limit=100, **filters))

    poll()
    control.poll, control.devices, control.model, control.api = poll, devices, model, api
    yield control
    control.reset()
