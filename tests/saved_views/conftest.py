"""Fixtures of the saved views' tests: the fleet polled once, and two tenants who share
organization 12 and each have one organization of their own (5 and 7), so that one view's
filter matches devices of several organizations and each of them sees only theirs."""

import re

import pytest

from accounts.models import Role
from fleet import polling
from saved_views.models import SavedView
from tests.fixtures.users import ORG_A, ORG_B, make_user

ORG_SHARED = 12  # the simulator's "Metro Hospitality Group"


@pytest.fixture
def polled(model, api_factory, poll_config, still_fleet, cache_settings):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    return still_fleet


@pytest.fixture
def admin_a(organizations):
    """Admin of organization 5 and of the shared organization 12."""
    return make_user("admin-a", memberships=[(ORG_A, Role.ADMIN), (ORG_SHARED, Role.ADMIN)])


@pytest.fixture
def member_b(organizations):
    """Viewer of organization 7 and of the shared organization 12."""
    return make_user("member-b", memberships=[(ORG_B, Role.VIEWER), (ORG_SHARED, Role.VIEWER)])


@pytest.fixture
def display_b(organizations):
    """A wall screen's account in organization 12."""
    return make_user("display-b", memberships=[(ORG_SHARED, Role.DISPLAY)])


@pytest.fixture
def shared_view(admin_a):
    """Every Down device, 200 a page, shared with organization 12."""
    return SavedView.objects.create(
        name="Down everywhere", owner=admin_a, organization_id=ORG_SHARED,
        query={"status": "down", "per_page": "200"},
    )  # fmt: skip


@pytest.fixture
def personal_view(admin_a):
    return SavedView.objects.create(name="Mine", owner=admin_a, query={"q": "cpe"})


@pytest.fixture
def fleet_orgs(all_devices):
    """Device id -> its organization, as the simulator has it now."""

    def read():
        return {d.id: d.organization_id for d in all_devices()}

    return read


def shown_ids(response) -> list[int]:
    return [int(i) for i in re.findall(r'data-device-id="(\d+)"', response.content.decode())]
