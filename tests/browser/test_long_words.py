"""Long unbroken text wraps instead of widening the page, in Chromium: a maintenance window
whose reason is one 300-character word, and an import whose serial number is one, stay as
wide as the screen (a desktop's and a phone's), and the import's "Why" column stays on it."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from maintenance_windows.models import MaintenanceWindow
from tests.fixtures.users import ORG_A, PASSWORD

LONG_WORD = "Fibre" + "x" * 290 + "works"  # 300 characters, no space
WIDTHS = {"desktop": 1280, "phone": 390}


def assert_fits(page, width):
    page.wait_for_load_state("load")  # the style sheet too, after a form's redirect
    page.set_viewport_size({"width": width, "height": 800})
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    assert page.evaluate("innerWidth") == width


@pytest.mark.parametrize("screen", WIDTHS)
def test_a_window_with_a_300_character_word_as_its_reason_fits_the_screen(
    cached_fleet, dashboard_url, tenant_admin, page, login, screenshot, screen
):
    now = datetime.now(UTC)
    window = MaintenanceWindow.objects.create(
        organization_id=ORG_A, reason=LONG_WORD, owner_name="tenant-admin",
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1),
    )  # fmt: skip
    login(tenant_admin.username, PASSWORD)
    page.set_viewport_size({"width": WIDTHS[screen], "height": 800})

    page.goto(f"/maintenance-windows/{window.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(LONG_WORD)
    assert_fits(page, WIDTHS[screen])
    screenshot(f"long-word-window-{screen}")

    page.goto("/maintenance-windows/")
    expect(page.get_by_role("table", name="In force now")).to_contain_text(LONG_WORD)
    assert_fits(page, WIDTHS[screen])
    screenshot(f"long-word-windows-{screen}")


def test_an_import_with_a_300_character_serial_keeps_every_column_on_screen(
    cached_fleet, dashboard_url, noc, page, login, screenshot
):
    # The same serial twice: each row says so, the serial in its words ("Why").
    data = "\n".join(
        [
            "name,serial_number,type,organization_id,description",
            f"long-a,{LONG_WORD},12,5,first",
            f"long-b,{LONG_WORD},12,5,second",
            "short-c,SHORT-C-1,12,5,third",
        ]
    ).encode()
    login(noc.username, PASSWORD)
    page.goto("/devices/import/")
    page.get_by_label("CSV file").set_input_files(
        {"name": "long-serial.csv", "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_role("button", name="Check the file").click()
    report = page.locator("#import-rows")
    expect(report.locator("tr[data-line='2']")).to_contain_text("is also on line 3")

    assert_fits(page, WIDTHS["desktop"])
    # No table scrolls sideways: its last column ("Problems") is on the screen.
    assert page.locator(".table-wrap").evaluate_all(
        "wraps => wraps.every(w => w.scrollWidth <= w.clientWidth)"
    )
    last = report.locator("thead th").last
    expect(last).to_have_text("Problems")
    box = last.bounding_box()
    assert box["x"] + box["width"] <= WIDTHS["desktop"]
    # The other columns keep their ordinary words whole: a badge stays on one line.
    badge = report.locator("tr[data-line='2'] .badge")
    expect(badge).to_have_text("Invalid: not sent")
    assert badge.bounding_box()["height"] < 1.5 * badge.evaluate(
        "b => parseFloat(getComputedStyle(b).lineHeight)"
    )
    screenshot("long-word-import")

    assert_fits(page, WIDTHS["phone"])
    screenshot("long-word-import-phone")
