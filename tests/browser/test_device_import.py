"""Bulk onboarding in Chromium: upload a CSV with good and bad rows, read the per-row report,
create the devices, follow the progress to the end, download the rows to fix."""

import csv
import io
from pathlib import Path

from playwright.sync_api import expect

from operations import imports, tasks
from tests.fixtures.users import PASSWORD

FILE = "\n".join(
    [
        "name,serial_number,type,organization_id,latitude,longitude,password",
        "brw-a,BRW-A-1,12,5,38.72,-9.14,pw-a",
        "brw-b,BRW-B-1,12,7,,,pw-b",
        "brw-c,BRW-C-1,99999,5,,,pw-c",
        "brw-d,BRW-D-1,12,5,91,,pw-d",
        "brw-e,,12,5,,,pw-e",
    ]
).encode()


def test_import_a_csv_with_good_and_bad_rows(
    cached_fleet, celery_eager, dashboard_url, noc, page, login, screenshot
):
    # celery_eager: "Create" runs the job inside the request (no broker in this harness), so
    # the progress panel then reaches the end on its first polls.
    login(noc.username, PASSWORD)
    page.goto("/devices/import/")
    page.get_by_label("CSV file").set_input_files(
        {"name": "onboarding.csv", "mimeType": "text/csv", "buffer": FILE}
    )
    cached_fleet.clear_log()
    page.get_by_role("button", name="Check the file").click()

    report = page.locator("#import-rows")
    expect(report.locator("tr[data-line='5']")).to_contain_text(
        "latitude: must be between -90 and 90, not 91."
    )
    expect(report.locator("tr[data-line='6']")).to_contain_text("serial_number: required.")
    expect(report.locator("tr[data-line='2']")).to_contain_text("Valid")
    assert cached_fleet.request_log(last=0)["counts"].get("POST /api/v1/inventory_device/", 0) == 0

    page.get_by_role("button", name="Create 3 devices").click()
    progress = page.locator("#import-progress")
    expect(progress.locator("[data-job-state]")).to_have_text("Finished", timeout=15_000)
    expect(progress.locator("[data-count='created']")).to_have_text("2")
    expect(progress.locator("[data-count='failed']")).to_have_text("1")
    expect(progress.locator("[data-count='remaining']")).to_have_text("0")
    expect(progress).to_contain_text("type: No device type 99999 is known to the control API.")
    screenshot("device-import")

    with page.expect_download() as download_info:
        page.locator("#download-fixes").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["serial_number"] for r in rows] == ["BRW-C-1", "BRW-D-1", ""]
    assert {r["password"] for r in rows} == {""}
    assert rows[1]["error"] == "latitude: must be between -90 and 90, not 91."
    assert cached_fleet.request_log(last=0)["counts"]["POST /api/v1/inventory_device/"] == 3


def test_every_row_table_follows_the_progress(
    cached_fleet, dashboard_url, noc, page, login, monkeypatch, screenshot
):
    # No worker picks the job up by itself: the test runs it while the page is open and
    # polling, as a worker would after the person clicked "Create".
    queued = []
    monkeypatch.setattr(tasks, "queue_import", queued.append)
    login(noc.username, PASSWORD)
    page.goto("/devices/import/")
    unknown_org = b"\nbrw-f,BRW-F-1,12,99,,,pw-f"  # an organization the dashboard does not know
    page.get_by_label("CSV file").set_input_files(
        {"name": "onboarding.csv", "mimeType": "text/csv", "buffer": FILE + unknown_org}
    )
    page.get_by_role("button", name="Check the file").click()
    report = page.locator("#import-rows")
    expect(report.locator("tr[data-line='7']")).to_contain_text("Invalid: not sent")
    expect(report.locator("tr[data-line='7']")).to_contain_text(
        "organization_id: organization 99 is not known to the dashboard; check the id."
    )
    page.get_by_role("button", name="Create 3 devices").click()
    expect(report.locator("tr[data-line='2']")).to_contain_text("Waiting to be sent")

    imports.run_import(queued[0])
    progress = page.locator("#import-progress")
    expect(progress.locator("[data-job-state]")).to_have_text("Finished", timeout=15_000)
    expect(report.locator("tr[data-line='2']")).to_contain_text("Created")
    expect(report.locator("tr[data-line='3']")).to_contain_text("Created")
    expect(report.locator("tr[data-line='4']")).to_contain_text("Refused or not sent")
    expect(report.locator("tr[data-line='4']")).to_contain_text("No device type 99999 is known")
    expect(report.locator("tr[data-line='5']")).to_contain_text("Invalid: not sent")
    report.scroll_into_view_if_needed()
    screenshot("device-import-rows-follow")
