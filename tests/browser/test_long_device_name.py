"""A device named "CPE-" and 250 characters with no space, in Chromium: its delete page and
its Danger zone keep the name and every field and button inside their red box, and no page
that shows it scrolls sideways, on a desktop or a phone."""

import pytest
from playwright.sync_api import expect

from tests.fixtures.users import ORG_A, PASSWORD

LONG_NAME = "CPE-" + "x" * 250


@pytest.fixture
def long_named(fleet):
    """An Up device of organization 5 renamed LONG_NAME through the control API, polled into
    the read model."""
    device = next(
        d for d in fleet.devices(organization=ORG_A) if d.is_up and not d.pending_settings
    )
    with fleet.api() as api:
        api.update_device(device.id, {"name": LONG_NAME})
    fleet.poll()
    return device


def assert_fits(page, width):
    page.wait_for_load_state("load")  # the style sheet too
    page.set_viewport_size({"width": width, "height": 800})
    assert page.evaluate("innerWidth") == width
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def assert_inside(part, box_locator):
    """The part is drawn wholly inside the box (its left and right edges)."""
    expect(part).to_be_visible()
    inner, outer = part.bounding_box(), box_locator.bounding_box()
    left, right = inner["x"], inner["x"] + inner["width"]
    assert outer["x"] <= left and right <= outer["x"] + outer["width"], (part, inner, outer)


def test_the_delete_page_keeps_a_long_name_in_its_box(
    fleet, long_named, tenant_admin, page, login, screenshot
):
    """Before, at 1366 px the name and the confirm field ran past the red box: the page was
    2614 px wide."""
    login(tenant_admin.username, PASSWORD)
    page.set_viewport_size({"width": 1366, "height": 800})
    page.goto(f"/devices/{long_named.id}/delete/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(LONG_NAME)
    screenshot("long-name-delete")

    assert_fits(page, 1366)
    zone = page.locator(".danger-zone")
    assert_inside(zone.locator("strong", has_text=LONG_NAME), zone)
    field = page.get_by_label("Type the device's name")
    assert_inside(field, zone)
    assert_inside(page.get_by_role("button", name="Delete device"), zone)
    # Still a form that works: the name typed deletes the device.
    field.fill(LONG_NAME)
    page.get_by_role("button", name="Delete device").click()
    page.wait_for_url(lambda url: "/delete/" not in url)
    assert long_named.id not in {d.id for d in fleet.devices(organization=ORG_A)}


def test_the_danger_zone_keeps_its_fields_in_its_box_on_a_phone(
    long_named, tenant_admin, page, login, screenshot
):
    """Before, at 390 px the Danger zone's fields and Factory reset buttons were past its
    edge and the page scrolled sideways."""
    login(tenant_admin.username, PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/devices/{long_named.id}/")
    zone = page.locator("#danger-zone")
    expect(zone).to_contain_text(LONG_NAME)
    zone.scroll_into_view_if_needed()
    screenshot("long-name-danger-zone-phone")

    assert_fits(page, 390)
    assert_inside(zone.locator("strong", has_text=LONG_NAME), zone)
    for label in ("factory reset", "device-only factory reset"):
        assert_inside(zone.get_by_label(f"Device name, to confirm {label}", exact=True), zone)
    for button in ("Factory reset", "Device-only factory reset"):
        assert_inside(zone.get_by_role("button", name=button, exact=True), zone)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_device_list_shows_a_long_name_without_scrolling_sideways(
    long_named, tenant_admin, page, login, screenshot, width
):
    login(tenant_admin.username, PASSWORD)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/devices/?q=CPE-")
    row = page.locator(f'.fleet-row[data-device-id="{long_named.id}"]')
    expect(row).to_be_visible()
    row.scroll_into_view_if_needed()
    screenshot(f"long-name-list-{width}")

    assert_fits(page, width)
    assert page.locator(".table-wrap").evaluate_all(
        "wraps => wraps.every(w => w.scrollWidth <= w.clientWidth)"
    )
    table = page.locator("#fleet-table")
    link = row.get_by_role("link", name=LONG_NAME)
    assert_inside(link, table)
    assert_inside(row.locator("td.col-seen"), table)
    if width == 390:  # a card shows the whole name, wrapped
        assert link.evaluate("a => a.scrollWidth <= a.clientWidth || a.clientWidth === 0")
        assert link.bounding_box()["height"] > 3 * 20
    else:  # a table row is one line, the name cut, whole in its title
        expect(link).to_have_attribute("title", LONG_NAME)
