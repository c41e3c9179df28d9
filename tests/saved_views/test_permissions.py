"""Who may open, save, share and manage saved views (saved_views.permissions), and which
views a user is offered (selectors.views_for)."""

from saved_views import permissions, selectors
from saved_views.models import SavedView
from tests.fixtures.users import ORG_A, ORG_OTHER
from tests.saved_views.conftest import ORG_SHARED


def test_a_personal_view_opens_for_its_owner_only(admin_a, member_b, noc, personal_view):
    assert permissions.may_open(admin_a, personal_view)
    assert not permissions.may_open(member_b, personal_view)
    # Not even NOC staff: it is someone's own.
    assert not permissions.may_open(noc, personal_view)


def test_a_shared_view_opens_for_every_member_of_its_organization_and_noc(
    admin_a, member_b, display_b, outsider, noc, shared_view
):
    assert permissions.may_open(admin_a, shared_view)
    assert permissions.may_open(member_b, shared_view)
    assert permissions.may_open(display_b, shared_view)
    assert permissions.may_open(noc, shared_view)
    assert not permissions.may_open(outsider, shared_view)


def test_only_the_organizations_admins_and_noc_admins_manage_a_shared_view(
    admin_a, member_b, noc, noc_viewer, outsider, shared_view
):
    assert permissions.may_manage(admin_a, shared_view)
    assert permissions.may_manage(noc, shared_view)
    assert not permissions.may_manage(member_b, shared_view)
    assert not permissions.may_manage(noc_viewer, shared_view)
    assert not permissions.may_manage(outsider, shared_view)


def test_an_admin_of_one_organization_may_not_share_with_another(admin_a, tenant_admin):
    assert permissions.may_share_with(admin_a, ORG_SHARED)
    assert not permissions.may_share_with(tenant_admin, ORG_SHARED)
    assert not permissions.may_share_with(admin_a, ORG_OTHER)
    assert [o.upstream_id for o in permissions.shareable_organizations(tenant_admin)] == [ORG_A]


def test_a_wall_screens_account_keeps_no_views_of_its_own(display_b, viewer):
    assert not permissions.may_save(display_b)
    assert permissions.may_save(viewer)


def test_a_personal_view_whose_owner_is_gone_is_nobodys(admin_a, noc, personal_view):
    admin_a.delete()
    personal_view.refresh_from_db()

    assert personal_view.owner is None
    assert not permissions.may_open(noc, personal_view)
    assert list(selectors.views_for(noc)) == []


def test_views_for_lists_ones_own_and_the_shared_ones_of_ones_organizations(
    admin_a, member_b, outsider, noc, shared_view, personal_view
):
    elsewhere = SavedView.objects.create(name="Elsewhere", owner=outsider, organization_id=11)

    assert set(selectors.views_for(admin_a)) == {shared_view, personal_view}
    assert set(selectors.views_for(member_b)) == {shared_view}
    assert set(selectors.views_for(outsider)) == {elsewhere}
    assert set(selectors.views_for(noc)) == {shared_view, elsewhere}
