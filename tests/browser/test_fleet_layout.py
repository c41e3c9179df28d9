"""The devices page in real Chromium at common screen widths: no sideways scrolling,
each row's tick box and link in view, the active sort marked, add and import at hand."""

import pytest
from playwright.sync_api import expect

from tests.fixtures.users import PASSWORD


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    width = page.evaluate("innerWidth")
    return (
        box is not None and box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= width
    )


@pytest.mark.parametrize("width", [1280, 1440, 1920])
def test_the_device_list_fits_the_screen_with_row_actions_in_view(
    fleet, noc, page, login, screenshot, width
):
    page.set_viewport_size({"width": width, "height": 900})
    login(noc.username, PASSWORD)
    page.goto("/devices/?per_page=100")
    expect(page.locator(".fleet-row").first).to_be_visible()
    screenshot(f"devices-{width}")

    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    table = page.locator("#fleet-table")
    assert table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
    row = page.locator(".fleet-row").first
    for part in ('input[name="device"]', ".device-link", ".badge"):
        assert _in_view(page, row.locator(part)), part
    expect(page.get_by_role("link", name="Add device")).to_be_visible()
    expect(page.get_by_role("link", name="Import devices (CSV)")).to_be_visible()


def test_at_1024_name_status_and_row_actions_stay_in_view(fleet, noc, page, login, screenshot):
    page.set_viewport_size({"width": 1024, "height": 800})
    login(noc.username, PASSWORD)
    page.goto("/devices/")
    row = page.locator(".fleet-row").first
    expect(row).to_be_visible()

    for part in ('input[name="device"]', ".device-link", ".badge"):
        assert _in_view(page, row.locator(part)), part
    screenshot("devices-1024")


def test_sorting_by_a_column_marks_it_with_an_arrow(fleet, noc, page, login, screenshot):
    login(noc.username, PASSWORD)
    page.goto("/devices/")
    serial = page.locator("#fleet-table th", has=page.get_by_role("link", name="Serial"))
    expect(serial).to_have_attribute("aria-sort", "none")

    serial.get_by_role("link", name="Serial").click()
    page.wait_for_url("**sort=serial**")
    expect(serial).to_have_attribute("aria-sort", "ascending")
    expect(serial.locator(".sort-arrow")).to_be_visible()
    expect(serial.locator(".sort-arrow")).to_have_text("▲")

    serial.get_by_role("link", name="Serial").click()
    page.wait_for_url("**sort=-serial**")
    expect(serial).to_have_attribute("aria-sort", "descending")
    expect(serial.locator(".sort-arrow")).to_have_text("▼")
    screenshot("devices-sorted")


def test_columns_the_user_chose_are_shown_at_1280(fleet, noc, page, login, screenshot):
    """Before, columns ticked in the Columns panel were hidden again by the screen's width:
    name, status, customer, address and location showed only status and name at 1280 px."""
    page.set_viewport_size({"width": 1280, "height": 900})
    login(noc.username, PASSWORD)
    page.goto("/devices/?columns=name,status,customer,address,location")
    expect(page.locator(".fleet-row").first).to_be_visible()
    screenshot("devices-chosen-columns-1280")

    headers = page.locator("#fleet-table thead th")
    shown = [t.strip() for t in headers.evaluate_all(
        "ths => ths.filter(th => th.offsetWidth > 0).map(th => th.innerText)"
    )]  # fmt: skip
    assert len([h for h in shown if h]) == 5
    assert {"Customer id", "Address", "Location"} <= {h.rstrip("▲▼") for h in shown}
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
