"""Pages read on a phone (390 x 844) by a tenant admin and a viewer: none of them scrolls
sideways, and what each is opened for is on the screen. Before, a campaign's Outcome/Wave
filter, a device edit's before/after table, the saved views' list (a visually hidden label
past the table's scroll box) and the overview's organizations (Up and Down) did not fit.
The same pages at 1280 px keep their desktop layout."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import AuditEntry
from campaigns.models import Campaign, CampaignDevice, Outcome
from devices.change_models import ChangedRecord, RecordedChange
from saved_views.models import SavedView
from tests.fixtures.users import ORG_A, PASSWORD

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


# How far the element's right edge is past what shows of it: the screen's edge or that of a
# box that scrolls or clips it (a table's own scroll box), whichever is nearer.
HIDDEN_PAST_RIGHT = """el => {
    const box = el.getBoundingClientRect();
    let edge = innerWidth, left = 0;
    for (let a = el.parentElement; a; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== "visible") {
            const r = a.getBoundingClientRect();
            edge = Math.min(edge, r.right);
            left = Math.max(left, r.left);
        }
    }
    return Math.max(box.right - edge, left - box.left);
}"""


def assert_fits_the_phone(page, *parts):
    """The page does not scroll sideways, and each part is wholly on the screen, in view."""
    page.wait_for_load_state("load")  # the style sheet too
    assert page.evaluate("innerWidth") == PHONE["width"]
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    for part in parts:
        expect(part).to_be_visible()
        box = part.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (part, box)
        assert part.evaluate(HIDDEN_PAST_RIGHT) <= 0.5, part


def same_line(*parts) -> bool:
    tops = [part.bounding_box()["y"] for part in parts]
    return max(tops) - min(tops) < 8


@pytest.fixture
def stopped_campaign(fleet_devices, tenant_admin):
    devices = [d for d in fleet_devices if d.organization_id == ORG_A][:6]
    campaign = Campaign.objects.create(
        name="Spring firmware", organization_id=ORG_A, image_id=4242, canary=2,
        waves=[50.0, 100.0], wave_sizes=[2, 2, 2], wave=1, state=Campaign.State.STOPPED,
        stop_reason="1 of 2 devices of the canary failed or did not confirm the image.",
        created_by=tenant_admin, started_at=timezone.now() - timedelta(minutes=20),
    )  # fmt: skip
    outcomes = [Outcome.RETRY, Outcome.UNCONFIRMED] + [Outcome.WAITING] * 4
    for n, (device, outcome) in enumerate(zip(devices, outcomes, strict=True)):
        CampaignDevice.objects.create(
            campaign=campaign, device_id=device.id, device_name=device.name,
            serial_number=device.serial_number, organization_id=ORG_A, wave=n // 2 + 1,
            outcome=outcome,
        )  # fmt: skip
    return campaign


def test_a_campaigns_outcome_and_wave_filter_fits_a_phone(
    cached_fleet, stopped_campaign, tenant_admin, page, login, screenshot
):
    """Before, the filter row stayed on one line: the page was 648 px wide, "Wave" and
    "Show" off screen."""
    login(tenant_admin.username, PASSWORD)
    page.goto(f"/campaigns/{stopped_campaign.pk}/")
    outcome, wave = page.get_by_label("Outcome"), page.get_by_label("Wave", exact=True)
    show = page.get_by_role("button", name="Show")
    expect(outcome).to_be_visible()
    assert same_line(outcome, wave, show)  # the desktop's one row
    show.scroll_into_view_if_needed()
    screenshot("phone-campaign-desktop")

    page.set_viewport_size(PHONE)
    assert_fits_the_phone(page, outcome, wave, show, page.get_by_role("button", name="Resume"))
    page.get_by_role("heading", name="Devices").scroll_into_view_if_needed()
    screenshot("phone-campaign")
    # The filter still works there.
    wave.select_option(label="Canary")
    outcome.select_option(Outcome.RETRY)
    show.click()
    rows = page.get_by_role("table", name="Devices").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Down at its turn: tried again later")
    assert_fits_the_phone(page, show)


@pytest.fixture
def edited_device(device_of_org):
    """A device whose edit changed its description and location: values of several words."""
    device = device_of_org(ORG_A)
    entry = AuditEntry.objects.create(
        username="tenant-admin", organization_id=ORG_A, device_id=device.id,
        device_name=device.name, action="device_edit", result=AuditEntry.Result.OK,
    )  # fmt: skip
    RecordedChange.objects.create(
        audit_entry=entry, device_id=device.id, organization_id=ORG_A,
        record=ChangedRecord.DEVICE, changes=[
            {"field": "description", "label": "Description", "secret": False,
             "before": "Customer premises router in the basement comms room",
             "after": "Customer premises router moved to the second floor server closet"},
            {"field": "location", "label": "Location", "secret": False,
             "before": "Rua das Flores 12, Lisboa", "after": "Avenida da Liberdade 245, Lisboa"},
        ],
    )  # fmt: skip
    return device


@pytest.mark.parametrize("where", ["timeline", "device"])
def test_a_device_edits_before_and_after_fit_a_phone(
    cached_fleet, edited_device, tenant_admin, page, login, screenshot, where
):
    """Before, the "Changed fields" table made the page 753 px wide, its "After" column
    cut off."""
    login(tenant_admin.username, PASSWORD)
    page.set_viewport_size(PHONE)
    suffix = "timeline/" if where == "timeline" else ""
    page.goto(f"/devices/{edited_device.id}/{suffix}")
    diff = page.locator("#timeline-body").get_by_role("table", name="Changed fields")
    after = diff.locator("tr[data-field=description] td.diff-after")
    expect(after).to_contain_text("→ Customer premises router moved to the second floor")
    assert_fits_the_phone(page, diff, diff.locator("th", has_text="After"), after)
    diff.scroll_into_view_if_needed()
    screenshot(f"phone-{where}-edit")

    page.set_viewport_size(DESKTOP)
    # On a desktop each value is on one line.
    assert after.bounding_box()["height"] < 2 * after.evaluate(
        "td => parseFloat(getComputedStyle(td).lineHeight)"
    )
    diff.scroll_into_view_if_needed()
    screenshot(f"phone-{where}-edit-desktop")


def test_the_saved_views_list_fits_a_phone(cached_fleet, tenant_admin, page, login, screenshot):
    """Before, the page was 772 px wide with a blank right half: a visually hidden label
    ("New name of …") was placed past the table's own scroll box."""
    for name in ("Down in the north region", "Everything of type 12", "Pending firmware"):
        SavedView.objects.create(name=name, owner=tenant_admin, query={"status": "down"})
    login(tenant_admin.username, PASSWORD)
    page.goto("/views/")
    table = page.get_by_role("table", name="Views you may open")
    expect(table.locator("tbody tr")).to_have_count(3)
    screenshot("phone-views-desktop")

    page.set_viewport_size(PHONE)
    first = table.locator("tbody tr").first
    assert_fits_the_phone(page, page.locator(".table-wrap"), first.get_by_role("link"))
    table.scroll_into_view_if_needed()
    screenshot("phone-views")
    # The label still names its field for a screen reader, and the row's Rename is there
    # (the table scrolls inside its own box to reach it).
    rename = first.get_by_label("New name of Down in the north region")
    expect(rename).to_have_value("Down in the north region")
    first.get_by_role("button", name="Rename").scroll_into_view_if_needed()
    expect(first.get_by_role("button", name="Rename")).to_be_in_viewport()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("who", ["viewer", "tenant_admin"])
def test_the_overviews_up_and_down_counts_are_on_a_phones_screen(
    fleet, request, page, login, screenshot, who
):
    """Before, the organizations' table showed Organization, ID and "Your r…" only: Up and
    Down were past the screen's edge."""
    user = request.getfixturevalue(who)
    up = len(fleet.devices(status=True, organization=ORG_A))
    down = len(fleet.devices(status=False, organization=ORG_A))
    login(user.username, PASSWORD)
    table = page.locator(".overview-table")
    row = table.locator(f"tr[data-org='{ORG_A}']")
    up_link = row.get_by_role("link", name=str(up), exact=True)
    down_link = row.get_by_role("link", name=str(down), exact=True)
    expect(up_link).to_be_visible()
    # The desktop's table: every heading on one row, the counts under theirs.
    headings = table.locator("thead th")
    expect(headings).to_have_count(6)
    assert same_line(*headings.all())
    organization = row.get_by_role("link", name="Test organization 5")
    assert same_line(organization, up_link, down_link)
    screenshot(f"phone-overview-{who}-desktop")

    page.set_viewport_size(PHONE)
    # The counts, each whole (their cells too), and the rest of the row: nothing cut off.
    cells = row.locator("td").all()
    assert_fits_the_phone(page, organization, up_link, down_link, *cells)
    # Each count says what it is (the headings are not above it there).
    labels = [cell.evaluate("td => getComputedStyle(td, '::before').content") for cell in cells]
    assert labels[3:5] == ['"Up: "', '"Down: "']
    screenshot(f"phone-overview-{who}")
