"""devices.upstream: the client is built from settings, and only from there."""

from devices.upstream import control_api
from tests.fixtures.simulator import TENANT_ORGS, TENANT_TOKEN


def test_client_talks_to_the_configured_upstream_with_the_configured_token(
    settings, simulator, key_prefix
):
    settings.CONTROL_API_URL = simulator.api_url
    settings.CONTROL_API_TOKEN = TENANT_TOKEN
    with control_api() as api:
        page = api.list_devices(limit=100)
    assert page.count > 0
    assert {device.organization_id for device in page.items} <= TENANT_ORGS


def test_client_uses_the_configured_timeouts(settings):
    settings.CONTROL_API_CONNECT_TIMEOUT = 2
    settings.CONTROL_API_READ_TIMEOUT = 9
    with control_api() as api:
        assert api.timeout == (2, 9)
