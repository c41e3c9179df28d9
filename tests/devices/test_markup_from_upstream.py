"""Text from the upstream is data, never markup: a device whose fields carry HTML is shown
as that text on every page that lists or shows it."""

import pytest

from fleet import polling

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def hostile_device(model, api_factory, poll_config, still_fleet, cache_settings):
    with api_factory() as api:
        device = api.create_device(
            {
                "name": f"CPE {HOSTILE}",
                "serial_number": "XSS-0001",
                "customer_id": HOSTILE,
                "type": 12,
                "organization_id": 5,
                "location_name": HOSTILE,
                "description": HOSTILE,
            }
        )
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    return device


@pytest.mark.parametrize("path", ["/devices/?q=XSS-0001", "/devices/{id}/", "/triage/"])
def test_html_in_device_fields_is_shown_as_text(client_of, noc, hostile_device, path):
    body = client_of(noc).get(path.format(id=hostile_device.id)).content.decode()

    assert "&lt;script&gt;alert(" in body  # the device is on the page, as text
    assert "<script>alert" not in body
    assert "<img src=x" not in body
