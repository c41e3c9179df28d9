"""The wall's people: a NOC-wide display account and a tenant's; a fleet polled once."""

import pytest

from accounts.models import Role
from fleet import polling
from tests.fixtures.users import ORG_A, make_user


@pytest.fixture
def display(organizations):
    """A NOC-wide wall screen's account: sees every organization, does nothing."""
    return make_user("noc-wall", noc_role=Role.DISPLAY)


@pytest.fixture
def tenant_display(organizations):
    """A tenant's wall screen: display role in organization 5 only."""
    return make_user("tenant-wall", memberships=[(ORG_A, Role.DISPLAY)])


@pytest.fixture
def polled(model, api_factory, poll_config, still_fleet, cache_settings):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    return still_fleet
