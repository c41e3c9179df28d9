"""A firmware campaign in Chromium, followed to its stop: a tenant admin makes one through
the form (a mistake first: the form keeps what was typed), starts it, and watches its page
while real Celery processes (a worker and beat) run it: the canary does not confirm the
bad image, the page shows the stop with its figures, and no device past the canary got a
PATCH (the simulator's request log)."""

import pytest
from django.db import connections
from playwright.sync_api import expect

from campaigns.models import Campaign, CampaignDevice
from controlapi import ControlAPI
from tests.campaigns.conftest import IMAGE, TYPE, all_up, needing, patched, patches
from tests.fixtures.simulator import ALL_TOKEN
from tests.fixtures.users import ORG_A, PASSWORD

CANARY = 3


@pytest.mark.skipif(
    connections["default"].vendor == "sqlite",
    reason="a live server and a worker process share a database on PostgreSQL only",
)
def test_a_campaign_of_a_bad_image_is_followed_to_its_stop(
    worker_database, on_the_broker, celery, dashboard_url, simulator, sim_control, tenant_admin,
    page, login, screenshot, tmp_path,
):  # fmt: skip
    sim_control.settings(churn_per_minute=0, flap_seconds=[1e9, 1e9], op_delay_seconds=0)
    with ControlAPI(simulator.api_url, ALL_TOKEN) as api:
        devices = [
            api.get_device(d.id)
            for d in sorted(api.iter_devices(organization=ORG_A, type=TYPE), key=lambda d: d.id)
        ]
    all_up(sim_control, devices)
    sim_control.mark_image_bad(IMAGE, failure="unconfirmed")
    workers = {"DATABASE_URL": worker_database, "CAMPAIGN_TICK_SECONDS": "1"}
    celery("worker", "--concurrency", "1", **workers)
    celery("beat", "--schedule", str(tmp_path / "beat-schedule"), **workers)

    login(tenant_admin.username, PASSWORD)
    page.get_by_role("link", name="Firmware").click()
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Device type id (optional)").fill(str(TYPE))
    page.get_by_label("Firmware image id").fill(str(IMAGE))
    page.get_by_label("Canary (devices)").fill(str(CANARY))
    page.get_by_label("Waves").fill("50%")
    page.get_by_label("Soak time (minutes)").fill("0")
    page.get_by_label("Confirmation timeout (minutes)").fill("0.1")
    page.get_by_role("button", name="Create campaign").click()
    expect(page.get_by_text("The last wave is 100%: every device of the target.")).to_be_visible()
    expect(page.get_by_label("Firmware image id")).to_have_value(str(IMAGE))
    screenshot("campaign-form-error")
    page.get_by_label("Waves").fill("50%,100%")
    page.get_by_role("button", name="Create campaign").click()
    expect(page.locator(".message-success")).to_contain_text("Campaign created as a draft")
    campaign = Campaign.objects.get()
    sim_control.clear_log()

    page.get_by_role("button", name="Start").click()
    # The worker chooses the devices; the page, refreshing itself, then shows it running.
    expect(page.locator("#starting")).to_contain_text("Start pressed")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Running", timeout=30_000)
    stop = page.locator("#stop-reason")
    expect(stop).to_contain_text("devices of wave 1 failed or did not confirm", timeout=45_000)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Stopped by its rules")
    timeline = page.get_by_role("list", name="Decisions")
    expect(timeline).to_contain_text(f"canary started: {CANARY} devices")
    expect(timeline).to_contain_text("stopped:")
    canary_row = page.get_by_role("table", name="Waves").locator("tbody tr").first
    expect(canary_row).to_contain_text("of at most 10 %")
    screenshot("campaign-stopped")

    canary = needing(devices[:CANARY])
    assert patches(sim_control) == patched(canary)
    later = CampaignDevice.objects.filter(campaign=campaign, wave__gt=1)
    assert set(later.values_list("outcome", flat=True)) == {"waiting"}

    page.get_by_label("Outcome").select_option("unconfirmed")
    page.get_by_role("button", name="Show").click()
    rows = page.get_by_role("table", name="Devices").locator("tbody tr")
    expect(rows).to_have_count(len(canary))
    expect(rows.first).to_contain_text("Not confirmed within")
