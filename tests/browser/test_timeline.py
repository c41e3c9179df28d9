"""A device's timeline in Chromium: after the device went Down (seen by a poll), a reboot
and an edit made in the real forms, all three are in it, the edit with its diff; a note
added and pinned there becomes the warning at the top of the page and in the list."""

import pytest
from django.db import connections
from playwright.sync_api import expect

from devices import tasks
from devices.history_models import StatusChange
from tests.fixtures.users import PASSWORD


# The polls run in this process and the live server in a thread of it: they share the
# test database on PostgreSQL only (under SQLite each thread has its own in-memory copy).
@pytest.mark.skipif(
    connections["default"].vendor == "sqlite",
    reason="the live server's thread and the polls share the database on PostgreSQL only",
)
def test_the_timeline_after_a_status_change_an_action_and_an_edit(
    cached_fleet, cache_settings, dashboard_url, device_of_org, tenant_admin, page, login,
    screenshot,
):  # fmt: skip
    device = device_of_org(5)
    tasks.poll_fleet.apply().get()
    login(tenant_admin.username, PASSWORD)
    page.goto(f"/devices/{device.id}/")
    timeline = page.locator("#timeline-body")
    expect(timeline).to_contain_text("Nothing in this device's timeline")

    # The device goes Down in the simulator; the next poll sees it.
    cached_fleet.set_status(device.id, up=False)
    tasks.poll_fleet.apply().get()
    assert StatusChange.objects.filter(device_id=device.id, to_status="Down").exists()
    page.reload()
    status = timeline.locator(".timeline-entry[data-kind=status]").first
    expect(status).to_contain_text("Up → Down")
    expect(status).to_contain_text("Still Down, for")

    # An edit through the edit form (before the reboot, which changes the device upstream
    # when done: a form open meanwhile would meet that change, as it should).
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Name", exact=True).fill("timeline-renamed")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="Identity")).to_be_visible()
    edit = timeline.locator(".timeline-entry[data-kind=edits]").first
    expect(edit).to_contain_text("Device edited by tenant-admin")
    diff = edit.get_by_role("table", name="Changed fields")
    expect(diff.locator("tbody tr")).to_have_count(1)
    expect(diff.locator("tr[data-field=name]")).to_contain_text(device.name)
    expect(diff.locator("tr[data-field=name]")).to_contain_text("→ timeline-renamed")

    # An action through its button, and yes to its question.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Reboot", exact=True).click()
    expect(page.locator(".action-record").first).to_contain_text("Reboot")
    page.reload()
    expect(timeline.locator(".timeline-entry").first).to_have_attribute("data-kind", "actions")
    action = timeline.locator(".timeline-entry[data-kind=actions]").first
    expect(action).to_contain_text("Reboot by tenant-admin")

    kinds = timeline.locator(".timeline-entry").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert kinds[:3] == ["actions", "edits", "status"]

    # The filter keeps one kind.
    timeline.get_by_role("link", name="Edits", exact=True).click()
    expect(page.locator("#timeline-body .timeline-entry")).to_have_count(1)
    page.locator("#timeline-body").get_by_role("link", name="All", exact=True).click()
    expect(page.locator("#timeline-body .timeline-entry")).to_have_count(3)

    # A note, then pinned: the warning shows at the top of the page.
    page.get_by_label("Add a note").fill("Hospital link: call before rebooting")
    page.get_by_role("button", name="Add note").click()
    note = page.locator("#timeline-body .timeline-entry[data-kind=notes]").first
    expect(note).to_contain_text("Hospital link: call before rebooting")
    expect(page.get_by_label("Add a note")).to_have_value("")
    note.get_by_role("button", name="Pin as a warning").click()
    warning = page.locator("#pinned-warnings")
    expect(warning).to_contain_text("Hospital link: call before rebooting")
    expect(page.locator("#timeline-body .timeline-entry[data-kind=notes]").first).to_contain_text(
        "Pinned warning"
    )
    screenshot("device-timeline")
    page.reload()
    expect(page.locator("#pinned-warnings")).to_contain_text("Hospital link")

    page.goto(f"/devices/?q={device.serial_number}")
    expect(page.locator(f"tr[data-device-id='{device.id}'] .pinned-marker")).to_be_visible()


def test_the_page_says_so_when_the_timeline_cannot_be_loaded(
    cached_fleet, dashboard_url, device_of_org, viewer, page, login
):
    device = device_of_org(5)
    login(viewer.username, PASSWORD)
    # The timeline's answer fails (a proxy's error, say); the page itself answers.
    page.route("**/timeline/", lambda route: route.fulfill(status=502, body="Bad gateway"))
    page.goto(f"/devices/{device.id}/")
    expect(page.locator("#timeline")).to_contain_text("The timeline could not be loaded")
    expect(page.get_by_role("link", name="Open the timeline on its own page")).to_be_visible()
    expect(page.get_by_role("heading", name="Identity")).to_be_visible()
