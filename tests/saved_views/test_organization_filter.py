"""A view's organization filter that its saver may not use (typed by hand, a tampered form,
or a shared view's filter on an organization the saver is not in) is refused in words: left
out, the view would show every device of the saver's organizations instead of none."""

import pytest

from accounts.models import AuditEntry, Role
from saved_views.models import SavedView
from tests.fixtures.users import ORG_A, ORG_B, make_user
from tests.saved_views.conftest import ORG_SHARED, shown_ids


@pytest.fixture
def admin_c(organizations):
    """Admin of organization 7 and of the shared organization 12, not of 5."""
    return make_user("admin-c", memberships=[(ORG_B, Role.ADMIN), (ORG_SHARED, Role.ADMIN)])


@pytest.fixture
def org_a_view(admin_a):
    """Shared with 12, filtered on organization 5 (which admin-c may not see)."""
    return SavedView.objects.create(
        name="Org 5 down", owner=admin_a, organization_id=ORG_SHARED,
        query={"organization": str(ORG_A), "status": "down"},
    )  # fmt: skip


def test_updating_a_view_to_the_state_its_page_shows_keeps_its_organization_filter(
    client_of, admin_c, org_a_view, polled
):
    client = client_of(admin_c)
    page = client.get(f"/views/{org_a_view.pk}/")
    assert shown_ids(page) == []

    response = client.post(
        f"/views/{org_a_view.pk}/update/", {"query": page.context["view_query"]}, follow=True
    )

    org_a_view.refresh_from_db()
    assert org_a_view.query == {"organization": str(ORG_A), "status": "down"}
    assert "The view was not updated" in response.content.decode()
    assert f"You cannot see organization #{ORG_A}" in response.content.decode()
    assert shown_ids(response) == []
    assert not AuditEntry.objects.filter(action="saved_view_update").exists()


def test_an_organization_typed_by_hand_into_an_update_is_refused(
    client_of, admin_a, personal_view, polled
):
    response = client_of(admin_a).post(
        f"/views/{personal_view.pk}/update/", {"query": f"organization={ORG_B}&status=up"},
        follow=True,
    )  # fmt: skip

    personal_view.refresh_from_db()
    assert personal_view.query == {"q": "cpe"}
    assert f"You cannot see organization #{ORG_B}" in response.content.decode()
    # The page shows the state asked for (nothing), not the view's nor a wider one.
    assert shown_ids(response) == []


def test_saving_a_view_of_an_organization_one_may_not_see_is_refused_keeping_the_form(
    client_of, admin_a, polled
):
    response = client_of(admin_a).post(
        "/views/new/", {"name": "Seven", "query": f"organization={ORG_B}&status=down"}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert f"You cannot see organization #{ORG_B}" in page
    assert 'value="Seven"' in page
    assert not SavedView.objects.filter(name="Seven").exists()


def test_an_organization_one_may_see_is_kept_on_update(client_of, admin_a, org_a_view, polled):
    client_of(admin_a).post(
        f"/views/{org_a_view.pk}/update/", {"query": f"organization={ORG_SHARED}"}
    )

    org_a_view.refresh_from_db()
    assert org_a_view.query == {"organization": str(ORG_SHARED)}
    [entry] = AuditEntry.objects.filter(action="saved_view_update")
    assert entry.parameters["query"] == {"organization": str(ORG_SHARED)}


def test_a_member_who_may_not_manage_the_view_gets_404_before_any_word_on_its_filter(
    client_of, member_b, shared_view, polled
):
    response = client_of(member_b).post(
        f"/views/{shared_view.pk}/update/", {"query": f"organization={ORG_A}"}
    )

    assert response.status_code == 404
