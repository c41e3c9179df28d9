"""Actions by name where people read them: a device's recent actions and a bulk job's title."""

import pytest

from devices.models import BulkJob
from tests.operations.fixtures import (  # noqa: F401 -- fixtures, used by name
    cached_fleet,
    device_of_org,
    fleet_devices,
    upstream,
)
from tests.users import client_of, noc, operator, organizations  # noqa: F401 -- fixtures

pytestmark = pytest.mark.django_db


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
