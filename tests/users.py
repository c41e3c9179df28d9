"""Fixed users, one per role, for every test folder that needs people.

Import the fixtures you need into a conftest.py (see tests/dashboard/conftest.py):

    from tests.users import noc, operator, outsider, viewer  # noqa: F401

The organizations are the simulator's: 5 and 7 are "ours", 11 belongs to someone
else. Every user's password is PASSWORD.
"""

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Membership, NocRole, Organization, Role

PASSWORD = "correct horse battery staple"  # noqa: S105 -- test users only
ORG_A = 5  # the tenant's main organization
ORG_B = 7  # a second organization some users belong to
ORG_OTHER = 11  # another tenant's organization: only the outsider and NOC see it


def make_user(username, *, memberships=(), noc_role=None, superuser=False):
    """A user with a role in each of `memberships` ((org_id, role) pairs)."""
    user_model = get_user_model()
    if superuser:
        user = user_model.objects.create_superuser(username, f"{username}@example.com", PASSWORD)
    else:
        user = user_model.objects.create_user(username, f"{username}@example.com", PASSWORD)
    for org_id, role in memberships:
        organization, _ = Organization.objects.get_or_create(
            upstream_id=org_id, defaults={"name": f"Test organization {org_id}"}
        )
        Membership.objects.create(user=user, organization=organization, role=role)
    if noc_role:
        NocRole.objects.create(user=user, role=noc_role)
    return user


@pytest.fixture
def organizations(db):
    """Organizations 5, 7 and 11, named as the tests refer to them."""
    return {
        org_id: Organization.objects.get_or_create(
            upstream_id=org_id, defaults={"name": f"Test organization {org_id}"}
        )[0]
        for org_id in (ORG_A, ORG_B, ORG_OTHER)
    }


@pytest.fixture
def noc(organizations):
    """NOC staff: admin over every organization."""
    return make_user("noc", noc_role=Role.ADMIN)


@pytest.fixture
def noc_viewer(organizations):
    """NOC staff who may only look."""
    return make_user("noc-viewer", noc_role=Role.VIEWER)


@pytest.fixture
def superuser(organizations):
    return make_user("root", superuser=True)


@pytest.fixture
def tenant_admin(organizations):
    """Admin of organization 5."""
    return make_user("tenant-admin", memberships=[(ORG_A, Role.ADMIN)])


@pytest.fixture
def operator(organizations):
    """Operator of organization 5."""
    return make_user("operator", memberships=[(ORG_A, Role.OPERATOR)])


@pytest.fixture
def viewer(organizations):
    """Viewer of organizations 5 and 7: the one user with a choice of organization."""
    return make_user("viewer", memberships=[(ORG_A, Role.VIEWER), (ORG_B, Role.VIEWER)])


@pytest.fixture
def outsider(organizations):
    """Admin of organization 11 only: must never see anything of 5 or 7."""
    return make_user("outsider", memberships=[(ORG_OTHER, Role.ADMIN)])


@pytest.fixture
def nobody(organizations):
    """Logged in, but a member of no organization."""
    return make_user("nobody")


@pytest.fixture
def client_of(client):
    """`client_of(user)`: the test client, logged in as `user`."""

    def login(user):
        client.force_login(user)
        return client

    return login
