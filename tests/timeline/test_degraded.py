"""With Redis down the timeline still shows what the database holds and says what is
missing; the device page loads the timeline as a part and says how to reach it without."""

import pytest

from devices.history_models import StatusChange
from tests.fixtures.fleet import CLOSED_PORT_URL
from tests.timeline.conftest import entries, timeline_of

pytestmark = pytest.mark.django_db


def test_with_redis_down_the_timeline_shows_the_database_and_says_what_is_missing(
    alerts, up_device, client_of, tenant_admin, cache_settings
):
    device = up_device[0]
    alerts.take(device, up=False)
    client = client_of(tenant_admin)
    client.post(f"/devices/{device.id}/notes/", {"text": "still reachable by phone"})
    client.post(f"/devices/{device.id}/actions/reboot/", {"key": "z" * 32})
    assert StatusChange.objects.filter(device_id=device.id).exists()
    cache_settings.REDIS_URL = f"redis://{CLOSED_PORT_URL}/0"  # Redis goes away

    html = timeline_of(client, device.id)

    assert "The fleet cache (Redis) is unreachable" in html
    kinds = {kind for kind, _ in entries(html)}
    assert kinds == {"status", "notes", "actions"}


def test_the_device_page_loads_the_timeline_and_says_how_to_open_it_otherwise(
    cached_fleet, device_of_org, client_of, viewer
):
    device = device_of_org(5)
    html = client_of(viewer).get(f"/devices/{device.id}/").content.decode()
    part = html[html.index('id="timeline-body"') :]
    assert f'hx-get="/devices/{device.id}/timeline/" hx-trigger="load"' in part
    assert f'<a href="/devices/{device.id}/timeline/">Open the timeline on its own page</a>' in part


def test_with_neither_the_cache_nor_the_control_api_the_part_says_why_it_is_not_shown(
    cached_fleet, device_of_org, client_of, viewer, settings
):
    device = device_of_org(5)
    client = client_of(viewer)
    settings.REDIS_URL = f"redis://{CLOSED_PORT_URL}/0"
    settings.CONTROL_API_URL = f"http://{CLOSED_PORT_URL}/api/v1"

    part = client.get(f"/devices/{device.id}/timeline/", HTTP_HX_REQUEST="true")
    page = client.get(f"/devices/{device.id}/timeline/")

    assert part.status_code == 200
    assert "The timeline cannot be shown: whether you may see this device" in part.content.decode()
    assert page.status_code == 503
