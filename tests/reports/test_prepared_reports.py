"""An organization's report prepared by a worker (REPORT_BACKGROUND_DEVICES and more): asked
for with a POST by those who may export, shown and exported as the worker built it, and
every way it can go wrong said in words: no worker, a broker down, a failed build, a worker
lost mid-build."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEntry, Role
from reports import prepared
from reports.models import PreparedReport
from tests.fixtures.users import ORG_A, make_user
from tests.fixtures.workers import wait_until
from tests.reports.conftest import query

pytestmark = pytest.mark.django_db


@pytest.fixture
def large(settings):
    """Every organization counts as large: its report is prepared by a worker."""
    settings.REPORT_BACKGROUND_DEVICES = 0


def figures(html: str) -> str:
    return re.search(r'<dl class="facts report-facts">.*?</dl>', html, re.S).group(0)


def test_a_large_organizations_report_is_prepared_by_a_worker_and_shown_as_built(
    client_of, tenant_admin, history, settings, celery_eager
):
    client = client_of(tenant_admin)
    computed_here = figures(client.get("/reports/", query()).content.decode())
    csv_here = client.get("/reports/export.csv", query()).content

    settings.REPORT_BACKGROUND_DEVICES = 0
    offered = client.get("/reports/", query()).content.decode()
    assert "Prepare this report" in offered
    assert "report-facts" not in offered  # nothing computed while the page waits

    asked = client.post("/reports/prepare/", query())
    assert asked.status_code == 302
    assert asked["Location"] == "/reports/?organization=5&period=day&day=2026-03-02"
    shown = client.get("/reports/", query()).content.decode()
    assert figures(shown) == computed_here
    assert "Prepared at " in shown and "Prepare again" in shown
    entry = AuditEntry.objects.get(action="report_prepare")
    assert (entry.organization_id, entry.result, entry.parameters["period"]) == (ORG_A, "ok", "day")
    assert "Prepare an uptime report" in client.get("/audit/").content.decode()

    exported = client.get("/reports/export.csv", query())
    assert exported.status_code == 200
    assert exported.content == csv_here


def test_without_a_worker_the_page_says_it_waits_and_asks_again_by_itself(
    client_of, tenant_admin, history, large, on_the_broker
):
    client = client_of(tenant_admin)
    client.post("/reports/prepare/", query())
    page = client.get("/reports/", query()).content.decode()
    assert "Waiting for a worker since" in page and "asked by tenant-admin" in page
    assert "<h1>Uptime report: Test organization 5 (#5)</h1>" in page
    assert 'hx-trigger="every 3s"' in page
    part = client.get("/reports/", query(), HTTP_HX_REQUEST="true")
    assert part.status_code == 200 and "Waiting for a worker" in part.content.decode()
    # Asked again meanwhile: one report waits, not two.
    client.post("/reports/prepare/", query())
    assert PreparedReport.objects.count() == 1
    export = client.get("/reports/export.csv", query())
    assert export.status_code == 400
    assert "still being prepared" in export.content.decode()

    PreparedReport.objects.update(requested_at=timezone.now() - timedelta(minutes=3))
    page = client.get("/reports/", query()).content.decode()
    assert "No worker has taken it yet" in page


def test_once_the_worker_is_done_the_waiting_part_reloads_the_page(
    client_of, tenant_admin, history, large, on_the_broker
):
    client = client_of(tenant_admin)
    client.post("/reports/prepare/", query())
    prepared.build(PreparedReport.objects.get().pk)  # what the worker's task runs
    part = client.get("/reports/", query(), HTTP_HX_REQUEST="true")
    assert part["HX-Refresh"] == "true"


def test_a_broker_that_does_not_answer_is_said_and_audited(
    client_of, tenant_admin, history, large, broker_down
):
    client = client_of(tenant_admin)
    assert client.post("/reports/prepare/", query()).status_code == 302
    page = client.get("/reports/", query()).content.decode()
    assert "could not be handed to a worker" in page
    assert "Prepare again" in page
    assert AuditEntry.objects.get(action="report_prepare").result == "failed"


def test_a_range_with_too_much_history_fails_in_words(
    client_of, tenant_admin, history, large, celery_eager, monkeypatch
):
    monkeypatch.setattr(prepared, "MAX_CHANGES", 1)  # the fixture's history holds two
    client = client_of(tenant_admin)
    client.post("/reports/prepare/", query())
    page = client.get("/reports/", query()).content.decode()
    assert "more than 1 status changes" in page


def test_a_worker_lost_mid_build_is_said_and_the_report_may_be_asked_again(
    client_of, tenant_admin, history, large, on_the_broker
):
    client = client_of(tenant_admin)
    client.post("/reports/prepare/", query())
    long_ago = timezone.now() - timedelta(seconds=prepared.TIME_LIMIT_SECONDS + 120)
    PreparedReport.objects.update(state="building", started_at=long_ago)
    page = client.get("/reports/", query()).content.decode()
    assert "The report was not finished" in page and "Prepare again" in page
    client.post("/reports/prepare/", query())
    assert PreparedReport.objects.count() == 2


def test_only_those_who_may_export_may_ask_and_outsiders_learn_nothing(
    client_of, organizations, outsider, history, large, celery_eager
):
    wall = make_user("wall", memberships=[(ORG_A, Role.DISPLAY)])
    page = client_of(wall).get("/reports/", query()).content.decode()
    assert "Prepare this report" not in page
    assert "Someone who may export" in page
    assert client_of(wall).post("/reports/prepare/", query()).status_code == 404
    assert client_of(outsider).post("/reports/prepare/", query()).status_code == 404
    assert client_of(outsider).get("/reports/", query()).status_code == 404
    assert not PreparedReport.objects.exists()


def test_a_device_report_is_never_prepared_by_a_worker(
    client_of, tenant_admin, history, large, celery_eager
):
    page = client_of(tenant_admin).get("/reports/", query(device=4242)).content.decode()
    assert "Prepare this report" not in page
    assert "00:37:30" in page


def test_asking_is_a_post(client_of, tenant_admin, history, large):
    assert client_of(tenant_admin).get("/reports/prepare/", query()).status_code == 405


def test_a_celery_worker_prepares_it(
    client_of, tenant_admin, history, large, on_the_broker, worker_database, celery
):
    celery("worker", "--concurrency", "1", DATABASE_URL=worker_database)
    client = client_of(tenant_admin)
    client.post("/reports/prepare/", query())

    def ready():
        return client.get("/reports/", query(), HTTP_HX_REQUEST="true").get("HX-Refresh")

    wait_until(ready, "the worker's report")
    page = client.get("/reports/", query()).content.decode()
    assert "Prepared at " in page
    assert "00:02:30" in page  # device 4242's outage, 10:05:00 to 10:07:30


@pytest.mark.parametrize(
    "kept_by_another_version",
    [{"shape": "0123456789abcdef"}, {"report": b"not what this version writes"}],
)
def test_a_report_kept_by_another_version_is_offered_again_never_a_500(
    client_of, tenant_admin, history, large, celery_eager, kept_by_another_version
):
    client = client_of(tenant_admin)
    client.post("/reports/prepare/", query())
    PreparedReport.objects.update(**kept_by_another_version)
    page = client.get("/reports/", query())
    assert page.status_code == 200
    assert "Prepare this report" in page.content.decode()
    assert "report-facts" not in page.content.decode()
