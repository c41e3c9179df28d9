"""The audit page in Chromium for a tenant admin: only their organizations' entries, the
action filter, and a CSV export that matches what the filter shows."""

import csv
import io
from pathlib import Path

from playwright.sync_api import expect

from accounts import audit
from tests.fixtures.users import PASSWORD


def record(user, org, action, device_name):
    audit.record_action(
        user=user, action=action, result=audit.OK, organization_id=org, device_id=1000 + org,
        device_name=device_name,
    )  # fmt: skip


def shown_devices(page):
    cells = page.locator("#audit-table tbody tr td:nth-child(5)")
    return sorted(text.split(" #")[0].strip() for text in cells.all_inner_texts())


def five_entries(tenant_admin, outsider, noc):
    record(tenant_admin, 5, "reboot", "ours-reboot")
    record(tenant_admin, 5, "sync", "ours-sync")
    record(noc, 5, "sync", "ours-sync-by-noc")
    record(outsider, 11, "sync", "theirs-sync")
    record(outsider, 11, "reboot", "theirs-reboot")


def export(page):
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_a_tenant_admin_sees_only_their_entries_and_filters_by_action(
    dashboard_url, tenant_admin, outsider, noc, page, login
):
    five_entries(tenant_admin, outsider, noc)
    login(tenant_admin.username, PASSWORD)
    page.goto("/audit/")
    expect(page.locator("#audit-table tbody tr")).to_have_count(3)
    assert shown_devices(page) == ["ours-reboot", "ours-sync", "ours-sync-by-noc"]
    page.get_by_label("Action").fill("sync")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#audit-table tbody tr")).to_have_count(2)
    assert shown_devices(page) == ["ours-sync", "ours-sync-by-noc"]


def test_the_export_of_a_filtered_page_holds_what_it_shows(
    dashboard_url, tenant_admin, outsider, noc, page, login
):
    five_entries(tenant_admin, outsider, noc)
    login(tenant_admin.username, PASSWORD)
    page.goto("/audit/?action=sync")
    assert shown_devices(page) == ["ours-sync", "ours-sync-by-noc"]
    rows = export(page)
    assert sorted(r["device_name"] for r in rows) == ["ours-sync", "ours-sync-by-noc"]
    assert {r["action"] for r in rows} == {"sync"}


def test_the_export_follows_a_filter_applied_in_place(
    dashboard_url, tenant_admin, outsider, noc, page, login
):
    five_entries(tenant_admin, outsider, noc)
    login(tenant_admin.username, PASSWORD)
    page.goto("/audit/")
    page.get_by_label("Action").fill("sync")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#audit-table tbody tr")).to_have_count(2)
    rows = export(page)
    assert sorted(r["device_name"] for r in rows) == ["ours-sync", "ours-sync-by-noc"]
