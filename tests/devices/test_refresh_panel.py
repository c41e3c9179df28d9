"""The "Refresh" panel follows its refresh task: it stops as soon as the task ends and,
when the task failed, says why in the control API's words."""

import re

import pytest

from devices import refresh_requests

pytestmark = pytest.mark.django_db


def press_refresh(client, device_id):
    """POST "Refresh" as htmx does; returns the URL the panel then polls."""
    response = client.post(f"/devices/{device_id}/refresh/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    url = re.search(r'hx-get="([^"]+)"', response.content.decode()).group(1)
    return url.replace("&amp;", "&")


def test_a_refresh_during_an_outage_ends_the_panel_with_the_upstreams_reason(
    cached_fleet, device_of_org, operator, client_of, celery_eager
):
    device = device_of_org(5)
    client = client_of(operator)
    cached_fleet.set_faults(outage_seconds=60)
    panel = client.get(press_refresh(client, device.id))
    html = panel.content.decode()
    assert panel.status_code == 286  # htmx stops polling
    assert "The refresh failed" in html
    assert "Service temporarily unavailable (outage)" in html
    assert "Asking the device" not in html
    assert "did not finish in time" not in html
    assert ">Refresh</button>" in html


def test_a_refresh_that_succeeded_ends_the_panel_and_reloads_the_fields(
    cached_fleet, device_of_org, operator, client_of, celery_eager
):
    device = device_of_org(5)
    client = client_of(operator)
    panel = client.get(press_refresh(client, device.id))
    assert panel.status_code == 286
    assert "device-refreshed" in panel["HX-Trigger"]
    assert "The refresh failed" not in panel.content.decode()


def test_a_token_that_is_not_one_of_ours_reads_as_unknown(cached_fleet):
    token = refresh_requests.start()
    refresh_requests.finish(token, error="The control API failed on its side (503).")
    assert refresh_requests.outcome(token).error.endswith("(503).")
    assert refresh_requests.outcome("*" * 20) is None
    assert refresh_requests.outcome("") is None


def test_a_refresh_that_cannot_be_queued_says_so(
    cached_fleet, device_of_org, operator, client_of, broker_down
):
    device = device_of_org(5)
    client = client_of(operator)

    response = client.post(f"/devices/{device.id}/refresh/", HTTP_HX_REQUEST="true")

    assert response.status_code == 286  # htmx does not poll for a refresh that never started
    assert "The refresh could not be started" in response.content.decode()
    page = client.post(f"/devices/{device.id}/refresh/", follow=True)
    assert page.status_code == 200
    assert "The refresh could not be started" in page.content.decode()
