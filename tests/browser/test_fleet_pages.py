"""The fleet pages in real Chromium: filter, search, tenancy by URL, bulk reboot, triage."""

import pytest
from playwright.sync_api import expect

from config.celery import app
from tests.fixtures.users import ORG_A, ORG_B, ORG_OTHER, PASSWORD


def shown_ids(page):
    return sorted(int(i) for i in page.locator(".fleet-row").evaluate_all(
        "rows => rows.map(r => r.dataset.deviceId)"))  # fmt: skip


def test_status_and_organization_filters_show_exactly_the_simulators_rows(fleet, noc, page, login,
                                                                          screenshot):  # fmt: skip
    login(noc.username, PASSWORD)
    page.goto("/devices/?per_page=200")
    page.get_by_label("Status", exact=True).select_option("down")
    page.wait_for_url("**status=down**")
    page.get_by_label("Organization", exact=True).nth(1).select_option(str(ORG_B))
    page.wait_for_url(f"**organization={ORG_B}**")

    expected = sorted(d.id for d in fleet.devices(status=False, organization=ORG_B))
    expect(page.locator(".fleet-row")).to_have_count(len(expected))
    assert shown_ids(page) == expected
    screenshot("devices")


def test_search_narrows_the_rows_and_the_url_keeps_it(fleet, noc, page, login):
    device = fleet.devices()[42]
    login(noc.username, PASSWORD)
    page.goto("/devices/")
    page.keyboard.press("/")
    page.keyboard.type(device.serial_number)
    page.wait_for_url("**q=**")

    expect(page.locator(".fleet-row")).to_have_count(1)
    assert shown_ids(page) == [device.id]


def test_a_tenant_admin_editing_the_url_sees_only_its_organization(
    fleet, tenant_admin, page, login
):
    login(tenant_admin.username, PASSWORD)
    page.goto(f"/devices/?organization={ORG_OTHER}&per_page=200")

    expect(page.get_by_role("alert")).to_contain_text("not one of your organizations")
    expected = sorted(d.id for d in fleet.devices(organization=ORG_A))
    assert shown_ids(page) == expected


@pytest.fixture
def eager_celery():
    # The worker's part, run inside the request: no worker process in the browser test.
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.mark.usefixtures("eager_celery")
def test_a_bulk_reboot_runs_to_the_end_with_one_reboot_per_device(
    fleet, operator, page, login, screenshot
):
    login(operator.username, PASSWORD)
    page.goto("/devices/?per_page=25")
    boxes = page.locator('#device-rows input[name="device"]')
    chosen = [int(boxes.nth(i).get_attribute("value")) for i in range(3)]
    for i in range(3):
        boxes.nth(i).check()
    fleet.clear_log()
    page.get_by_role("button", name="On selected (3)").click()
    expect(page.locator("#bulk-total")).to_have_text("3")
    page.get_by_role("button", name="Reboot 3 devices").click()

    expect(page.locator("[data-count=done]")).to_have_text("3")
    expect(page.locator("[data-count=remaining]")).to_have_text("0")
    screenshot("bulk-job")
    patched = [e["path"] for e in fleet.request_log(last=500)["entries"] if e["method"] == "PATCH"]
    assert sorted(patched) == sorted(f"/api/v1/inventory_device/{i}/" for i in chosen)


def test_a_device_taken_down_appears_on_triage_after_one_poll(fleet, noc, page, login):
    device = next(d for d in fleet.devices(status=True))
    login(noc.username, PASSWORD)
    fleet.set_status(device.id, up=False)
    fleet.poll()  # as the worker's next poll would

    page.goto("/triage/")

    expect(page.locator(f'[data-kind=down] tr[data-device-id="{device.id}"]')).to_be_visible()
