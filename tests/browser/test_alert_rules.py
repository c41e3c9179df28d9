"""Notification rules in Chromium: a tenant admin creates a rule through the form with a JSON
webhook destination, presses "Send a test notification now" and sees the delivery on the
rule's page; the destination's secret is never on a page. With a real Celery worker the test
notification arrives at a real HTTP receiver and the page says it was sent."""

import pytest
from django.db import connections
from playwright.sync_api import expect

from alerts.models import AlertRule, Delivery
from tests.fixtures.users import PASSWORD
from tests.fixtures.workers import wait_until

SECRET = "hook-s3cr3t-9c1e"


def create_rule(page, destination):
    page.goto("/")
    page.get_by_role("link", name="Notifications").click()
    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Name", exact=True).fill("Warehouse CPEs")
    page.get_by_label("Name or serial pattern").fill("CPE-*")
    page.get_by_label("Went Down").check()
    page.get_by_label("Came back Up").check()
    page.get_by_label("Destinations").fill(destination)
    page.get_by_role("button", name="Create rule").click()
    expect(page.locator(".message-success")).to_contain_text("Rule “Warehouse CPEs” created.")
    return AlertRule.objects.get(name="Warehouse CPEs")


def test_a_rule_made_in_the_form_sends_a_test_shown_on_its_page(
    on_the_broker, dashboard_url, tenant_admin, page, login, screenshot, http_receiver
):
    login(tenant_admin.username, PASSWORD)
    # A mistake first: the form says why and keeps what was typed.
    page.goto("/alerts/new/")
    page.get_by_label("Name", exact=True).fill("Warehouse CPEs")
    page.get_by_label("Destinations").fill("not a destination")
    page.get_by_role("button", name="Create rule").click()
    expect(page.get_by_text("Choose at least one event to notify.")).to_be_visible()
    expect(page.get_by_text("Line 1 (…): A destination is an apprise URL.")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Warehouse CPEs")
    expect(page.get_by_label("Destinations")).to_have_value("not a destination")
    page.get_by_text("Choose at least one event to notify.").scroll_into_view_if_needed()
    screenshot("alert-rule-form-error")

    destination = f"json://127.0.0.1:{http_receiver.port}/{SECRET}"
    rule = create_rule(page, destination)
    masked = f"json://127.0.0.1:{http_receiver.port}/…"
    expect(page.locator(".destination-list")).to_have_text(masked)
    assert SECRET not in page.content()

    page.get_by_role("button", name="Send a test notification now").click()
    expect(page.locator(".message-success")).to_contain_text(
        "Test notification queued for 1 destination"
    )
    row = page.locator("#deliveries tbody tr").first
    expect(row).to_contain_text("Test notification of rule “Warehouse CPEs”")
    expect(row).to_contain_text(masked)
    expect(row).to_contain_text("Waiting to be sent")
    assert Delivery.objects.filter(rule=rule, event="test").count() == 1
    screenshot("alert-rule-detail")

    page.get_by_role("link", name="Notification rules").click()
    expect(page.get_by_role("link", name="Warehouse CPEs")).to_be_visible()
    expect(page.locator("table")).to_contain_text(masked)
    assert SECRET not in page.content()
    page.goto(f"/alerts/{rule.pk}/edit/")
    expect(page.get_by_label(masked)).not_to_be_checked()
    expect(page.get_by_label("Add destinations")).to_have_value("")
    assert SECRET not in page.content()
    page.get_by_label(masked).scroll_into_view_if_needed()
    screenshot("alert-rule-edit")


# The browser's live server (a thread of this process) and a worker process share one
# database only on PostgreSQL: under SQLite the test database is in this process's memory,
# and the worker's file copy (worker_database) is not what the live server reads.
@pytest.mark.skipif(
    connections["default"].vendor == "sqlite",
    reason="a live server and a worker process share a database on PostgreSQL only",
)
def test_the_test_notification_arrives_at_the_webhook_and_its_page_says_sent(
    worker_database, on_the_broker, celery, dashboard_url, tenant_admin, page, login,
    http_receiver,
):  # fmt: skip
    celery("worker", "--concurrency", "1", DATABASE_URL=worker_database)
    login(tenant_admin.username, PASSWORD)
    rule = create_rule(page, f"json://127.0.0.1:{http_receiver.port}/{SECRET}")
    page.get_by_role("button", name="Send a test notification now").click()

    wait_until(lambda: http_receiver.requests, "the test notification at the receiver")
    assert len(http_receiver.requests) == 1
    assert http_receiver.requests[0]["path"] == f"/{SECRET}"
    wait_until(
        lambda: Delivery.objects.get(rule=rule).state == Delivery.State.SENT, "the delivery sent"
    )
    page.reload()
    row = page.locator("#deliveries tbody tr").first
    expect(row).to_contain_text("Sent")
    expect(row.locator(".attempts li")).to_have_count(1)


def test_noc_staff_see_every_organizations_rules_and_the_fleet_wide_ones(
    dashboard_url, noc, page, login, screenshot
):
    from alerts.destinations import mask
    from alerts.models import Destination

    for org, name in ((5, "Org 5 routers"), (11, "Org 11 everything"), (None, "Poller")):
        rule = AlertRule.objects.create(name=name, organization_id=org, events=["down", "up"],
                                        pattern="CPE-*" if org == 5 else "")  # fmt: skip
        url = f"mailto://noc:{SECRET}@smtp.example.com?to=oncall@example.com"
        Destination.objects.create(rule=rule, url=url, masked=mask(url))
    login(noc.username, PASSWORD)
    page.goto("/alerts/")
    expect(page.get_by_role("link", name="Notifications")).to_have_attribute("aria-current", "page")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="Poller")).to_contain_text("Every organization (fleet-wide)")
    expect(rows.filter(has_text="Org 5 routers")).to_contain_text('name or serial "CPE-*"')
    expect(rows.first).to_contain_text("mailto://…@smtp.example.com/…")
    assert SECRET not in page.content()
    screenshot("alert-rules-list-noc")
