"""The device page leads to the device's scheduled operations and its uptime report, for
everyone who may see it."""

import re
from html import unescape

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["viewer", "tenant_admin", "noc"])
def test_the_device_page_links_to_its_scheduled_operations(
    request, cached_fleet, device_of_org, client_of, who
):
    client = client_of(request.getfixturevalue(who))
    device = device_of_org(5)

    html = client.get(f"/devices/{device.id}/").content.decode()

    found = re.search(r'<a [^>]*href="(/operations/[^"]*)"[^>]*>\s*Scheduled operations\s*<', html)
    assert found, "no link to the scheduled operations"
    target = unescape(found.group(1))
    assert f"serial={device.serial_number}" in target.replace("%2D", "-")
    assert client.get(target).status_code == 200


@pytest.mark.parametrize("who", ["viewer", "tenant_admin", "noc"])
def test_the_device_page_links_to_its_uptime_report_of_this_month(
    request, cached_fleet, device_of_org, client_of, who
):
    client = client_of(request.getfixturevalue(who))
    device = device_of_org(5)

    html = client.get(f"/devices/{device.id}/").content.decode()

    found = re.search(r'<a [^>]*href="(/reports/[^"]*)"[^>]*>\s*Uptime report\s*<', html)
    assert found, "no link to the uptime report"
    report = client.get(unescape(found.group(1)))
    assert report.status_code == 200
    text = report.content.decode()
    assert f'name="device" value="{device.id}"' in text
    assert "errorlist" not in text
