"""The device list on a phone (390 x 844): each device is a card with its name, status,
organization and the columns chosen, all on the screen, nothing to scroll sideways. At
1280 px it stays the table it was."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from common.device_names import shown_name
from maintenance_windows.models import MaintenanceWindow
from tests.fixtures.users import ORG_A, ORG_B, PASSWORD

PHONE = {"width": 390, "height": 844}


def assert_on_the_screen(page, part):
    """The part is shown whole, between the screen's edges (not past a scroll box's)."""
    expect(part).to_be_visible()
    box = part.bounding_box()
    assert box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (
        part, box,
    )  # fmt: skip


def assert_nothing_scrolls_sideways(page):
    page.wait_for_load_state("load")  # the style sheet too
    assert page.evaluate("innerWidth") == PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator(".table-wrap").evaluate_all(
        "wraps => wraps.every(w => w.scrollWidth <= w.clientWidth)"
    )


def label_of(cell) -> str:
    return cell.evaluate("td => getComputedStyle(td, '::before').content")


@pytest.fixture
def window_over_org_a():
    """Devices of organization 5 in maintenance: their status cell is the widest."""
    now = datetime.now(UTC)
    return MaintenanceWindow.objects.create(
        organization_id=ORG_A, reason="Fibre works on the north ring", owner_name="noc",
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=2),
    )  # fmt: skip


def test_each_down_device_is_a_readable_card_on_a_phone(
    fleet, window_over_org_a, organizations, viewer, page, login, screenshot
):
    """Before, each row showed "Down … in maintenance" only: the table was wider than the
    phone and the name, organization and last connection were past its edge."""
    mine = [d for d in fleet.devices(status=False) if d.organization_id in (ORG_A, ORG_B)]
    page.set_viewport_size(PHONE)
    login(viewer.username, PASSWORD)
    page.goto("/devices/?status=down")
    rows = page.locator(".fleet-row")
    expect(rows).to_have_count(len(mine))
    assert page.locator(".fleet-row .badge-maintenance").count() > 0
    page.locator("#fleet-table").scroll_into_view_if_needed()
    screenshot("phone-device-list")

    assert_nothing_scrolls_sideways(page)
    for device in mine:
        row = page.locator(f'.fleet-row[data-device-id="{device.id}"]')
        link = row.get_by_role("link", name=shown_name(device.name), exact=True)
        assert_on_the_screen(page, link)
        assert_on_the_screen(page, row.locator(".badge-status-down"))
        organization = row.locator("td.col-org")
        expect(organization).to_contain_text(organizations[device.organization_id].name)
        assert_on_the_screen(page, organization)
        assert label_of(organization) == '"Organization: "'
        assert_on_the_screen(page, row.locator("td.col-seen"))
        for badge in row.locator(".badge-maintenance").all():
            assert_on_the_screen(page, badge)


def test_the_columns_chosen_are_in_each_card_on_a_phone(fleet, viewer, page, login, screenshot):
    page.set_viewport_size(PHONE)
    login(viewer.username, PASSWORD)
    page.goto("/devices/?status=down&columns=name,status,customer,address,location")
    rows = page.locator(".fleet-row")
    expect(rows.first).to_be_visible()
    page.locator("#fleet-table").scroll_into_view_if_needed()
    screenshot("phone-device-list-chosen-columns")

    assert_nothing_scrolls_sideways(page)
    for row in rows.all():
        assert_on_the_screen(page, row.locator(".device-link"))
        assert_on_the_screen(page, row.locator(".badge-status-down"))
        for column, label in (("customer", "Customer id"), ("address", "Address"),
                              ("location", "Location")):  # fmt: skip
            cell = row.locator(f"td.col-{column}")
            assert_on_the_screen(page, cell)
            assert label_of(cell) == f'"{label}: "'


def test_a_card_has_its_tick_box_beside_the_name(fleet, noc, page, login, screenshot):
    """Someone who may act on devices ticks them in the cards."""
    page.set_viewport_size(PHONE)
    login(noc.username, PASSWORD)
    page.goto("/devices/?status=down")
    row = page.locator(".fleet-row").first
    expect(row).to_be_visible()
    row.scroll_into_view_if_needed()
    screenshot("phone-device-list-noc")

    assert_nothing_scrolls_sideways(page)
    tick, link = row.locator('input[name="device"]'), row.locator(".device-link")
    assert_on_the_screen(page, tick)
    assert_on_the_screen(page, link)
    assert abs(tick.bounding_box()["y"] - link.bounding_box()["y"]) < 12
    tick.check()
    expect(page.locator("#selected-count")).to_have_text("1")


def test_at_1280_the_list_is_still_a_table(fleet, viewer, page, login):
    page.set_viewport_size({"width": 1280, "height": 800})
    login(viewer.username, PASSWORD)
    page.goto("/devices/?status=down")
    row = page.locator(".fleet-row").first
    expect(row).to_be_visible()

    assert row.evaluate("tr => getComputedStyle(tr).display") == "table-row"
    expect(page.locator("#fleet-table thead th.col-name")).to_be_visible()
    assert label_of(row.locator("td.col-seen")) == "none"
    name, status = row.locator(".device-link"), row.locator(".badge-status-down")
    assert abs(name.bounding_box()["y"] - status.bounding_box()["y"]) < 8  # one line
