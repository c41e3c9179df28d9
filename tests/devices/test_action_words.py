"""Actions by name where people read them: a device's recent actions and a bulk job's title."""

from datetime import UTC, datetime

import pytest

from accounts import tenancy
from devices import list_filters
from devices.models import BulkJob
from fleet import polling

pytestmark = pytest.mark.django_db


@pytest.fixture
def polled_fleet(model, api_factory, poll_config, still_fleet, cache_settings):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    return still_fleet


def test_a_devices_recent_action_is_named_in_words(
    cached_fleet, device_of_org, operator, client_of
):
    device = device_of_org(5)
    client = client_of(operator)
    client.post(f"/devices/{device.id}/actions/debug-on/", {"key": "k" * 32})

    content = client.get(f"/devices/{device.id}/").content.decode()

    assert "<strong>Debug on</strong>" in content
    assert "<strong>debug-on</strong>" not in content


def test_a_bulk_jobs_title_names_the_action_in_words(client_of, noc):
    job = BulkJob.objects.create(user=noc, action="reconf", description="selected devices")

    content = client_of(noc).get(f"/devices/bulk/{job.pk}/").content.decode()

    assert "Bulk action: Re-apply configuration" in content
    assert "Bulk action: reconf" not in content


def test_a_bulk_action_on_a_filter_names_the_filter_in_words(client_of, noc, polled_fleet):
    response = client_of(noc).post(
        "/devices/bulk/",
        {"action": "reboot", "all_matching": "1", "filter": "status=down&organization=5"},
    )

    lead = response.content.decode().split('<p class="lead">')[1].split("</p>")[0]
    assert "(all Down devices in organization #5)" in lead
    assert "status=down" not in lead


def test_every_part_of_a_filter_has_words():
    filters = list_filters.parse(
        {"status": "up", "organization": "7", "type": "3", "changed": "1h", "pending": "yes",
         "q": "cpe"},
        scope=tenancy.EVERYTHING, now=datetime.now(UTC),
    )  # fmt: skip

    assert list_filters.describe(filters) == (
        "all Up devices in organization #7 of type #3 whose status changed in the last 1 hour "
        "with pending settings matching “cpe”"
    )
