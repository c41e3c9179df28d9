"""A device the fleet cache has in another organization is asked of the control API, as a
device the cache does not have is: both answer alike (404, or 503 in words while the
upstream fails), so a tenant cannot tell which ids exist in other organizations, and a
device moved into the user's organizations shows before the next poll sees the move."""

import pytest

from controlapi import ControlAPI
from tests.fixtures.pages import without_csrf_tokens
from tests.fixtures.simulator import ALL_TOKEN
from tests.fixtures.users import ORG_A, ORG_OTHER

pytestmark = pytest.mark.django_db
UNKNOWN = 999_999


def _page(response, device_id) -> str:
    return without_csrf_tokens(response.content).replace(str(device_id), "N")


@pytest.mark.parametrize("path", ["/devices/{id}/", "/devices/{id}/timeline/"])
def test_while_the_upstream_fails_another_organizations_device_answers_as_an_unknown_one(
    path, cached_fleet, device_of_org, tenant_admin, client_of
):
    theirs = device_of_org(ORG_OTHER)
    client = client_of(tenant_admin)
    cached_fleet.set_faults(error_rate=1.0, error_status=[503])
    foreign = client.get(path.format(id=theirs.id))
    unknown = client.get(path.format(id=UNKNOWN))
    cached_fleet.clear_faults()

    assert foreign.status_code == unknown.status_code
    assert _page(foreign, theirs.id) == _page(unknown, UNKNOWN)


def test_a_device_moved_into_the_users_organization_shows_before_the_next_poll(
    cached_fleet, simulator, device_of_org, tenant_admin, client_of
):
    theirs = device_of_org(ORG_OTHER)
    with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
        api.update_device(theirs.id, {"organization_id": ORG_A})

    response = client_of(tenant_admin).get(f"/devices/{theirs.id}/")

    assert response.status_code == 200
    assert theirs.name in response.content.decode()
