"""Who may see and do what, in which organizations: accounts.tenancy."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from accounts import tenancy
from accounts.models import Membership, Organization, Role, ensure_organizations
from tests.fixtures.users import ORG_A, ORG_B, ORG_OTHER

OPERATOR_ONLY = ["refresh", "reboot", "sync", "reconfigure", "debug"]
ADMIN_ONLY = [
    "factory_reset",
    "firmware",
    "device_create",
    "device_edit",
    "device_delete",
    "headless",
    "maintenance",
    "alert_rules",
]


def test_display_role_may_only_view():
    assert tenancy.ROLE_ACTIONS[Role.DISPLAY] == {"view"}


def test_viewer_role_may_view_read_the_audit_export_reports_and_add_notes_only():
    assert tenancy.ROLE_ACTIONS[Role.VIEWER] == {"view", "note", "audit", "report_export"}


def test_operator_role_may_view_and_run_everyday_actions_but_nothing_destructive():
    assert tenancy.ROLE_ACTIONS[Role.OPERATOR] == {
        "view", "note", "audit", "report_export", *OPERATOR_ONLY
    }  # fmt: skip


def test_admin_role_may_do_everything():
    assert tenancy.ROLE_ACTIONS[Role.ADMIN] == {
        "view",
        "note",
        "audit",
        "report_export",
        *OPERATOR_ONLY,
        *ADMIN_ONLY,
    }


def test_viewer_sees_both_organizations_and_may_act_on_none(viewer):
    assert tenancy.scope_for(viewer) == tenancy.OrgScope(all=False, ids=frozenset({ORG_A, ORG_B}))
    assert tenancy.scope_for(viewer, tenancy.REBOOT).is_empty


def test_operator_may_reboot_in_their_organization_only(operator):
    scope = tenancy.scope_for(operator, tenancy.REBOOT)
    assert scope.allows(ORG_A)
    assert not scope.allows(ORG_B)
    assert not scope.allows(ORG_OTHER)


def test_operator_may_not_factory_reset(operator):
    assert tenancy.scope_for(operator, tenancy.FACTORY_RESET).is_empty


def test_tenant_admin_may_factory_reset_in_their_organization(tenant_admin):
    scope = tenancy.scope_for(tenant_admin, tenancy.FACTORY_RESET)
    assert scope.ids == {ORG_A}
    assert not scope.all


def test_noc_admin_may_do_anything_anywhere(noc):
    scope = tenancy.scope_for(noc, tenancy.DEVICE_DELETE)
    assert scope.all
    assert scope.allows(987654)
    assert scope.org_ids_or_none() is None


def test_noc_viewer_sees_everything_but_may_not_reboot(noc_viewer):
    assert tenancy.scope_for(noc_viewer).all
    assert tenancy.scope_for(noc_viewer, tenancy.REBOOT).is_empty


def test_noc_viewer_may_still_act_where_they_are_a_member(noc_viewer, organizations):
    Membership.objects.create(user=noc_viewer, organization=organizations[ORG_A], role=Role.ADMIN)
    assert tenancy.scope_for(noc_viewer, tenancy.REBOOT).ids == {ORG_A}


def test_superuser_counts_as_noc_admin(superuser):
    assert tenancy.scope_for(superuser, tenancy.FIRMWARE).all


def test_user_without_membership_sees_nothing(nobody):
    scope = tenancy.scope_for(nobody)
    assert scope.is_empty
    assert scope.org_ids_or_none() == frozenset()


def test_anonymous_user_sees_nothing(db):
    assert tenancy.scope_for(AnonymousUser()).is_empty


def test_deactivated_user_loses_every_organization(tenant_admin):
    tenant_admin.is_active = False
    tenant_admin.save()
    assert tenancy.scope_for(tenant_admin).is_empty


def test_deactivated_noc_user_loses_everything(noc):
    noc.is_active = False
    noc.save()
    assert tenancy.scope_for(noc).is_empty


def test_unknown_action_is_a_programming_error(viewer):
    with pytest.raises(ValueError, match="Unknown action"):
        tenancy.scope_for(viewer, "reboot_all")


def test_role_for_is_the_members_role(operator):
    assert tenancy.role_for(operator, ORG_A) == Role.OPERATOR
    assert tenancy.role_for(operator, ORG_OTHER) is None


def test_role_for_takes_the_stronger_of_noc_and_membership_roles(noc_viewer, organizations):
    Membership.objects.create(
        user=noc_viewer, organization=organizations[ORG_A], role=Role.OPERATOR
    )
    assert tenancy.role_for(noc_viewer, ORG_A) == Role.OPERATOR
    assert tenancy.role_for(noc_viewer, ORG_OTHER) == Role.VIEWER


def test_ensure_allowed_answers_404_to_an_outsider(outsider):
    with pytest.raises(Http404):
        tenancy.ensure_allowed(outsider, tenancy.VIEW, ORG_A)


def test_ensure_allowed_answers_404_to_a_viewer_asking_to_act(viewer):
    with pytest.raises(Http404):
        tenancy.ensure_allowed(viewer, tenancy.REBOOT, ORG_A)


def test_ensure_allowed_lets_a_member_through(operator):
    tenancy.ensure_allowed(operator, tenancy.REBOOT, ORG_A)  # raises nothing


def test_object_without_organization_is_for_all_organization_staff_only(operator, noc):
    assert not tenancy.can(operator, tenancy.VIEW, None)
    assert tenancy.can(noc, tenancy.VIEW, None)


def test_can_answers_for_one_action_in_one_organization(tenant_admin):
    assert tenancy.can(tenant_admin, tenancy.FIRMWARE, ORG_A)
    assert not tenancy.can(tenant_admin, tenancy.FIRMWARE, ORG_B)


def test_organizations_for_lists_the_users_organizations_only(viewer):
    ids = set(tenancy.organizations_for(viewer).values_list("upstream_id", flat=True))
    assert ids == {ORG_A, ORG_B}


def test_organizations_for_noc_lists_every_known_organization(noc):
    ids = set(tenancy.organizations_for(noc).values_list("upstream_id", flat=True))
    assert ids == {ORG_A, ORG_B, ORG_OTHER}


def test_narrowing_to_an_organization_outside_the_scope_leaves_nothing(operator):
    scope = tenancy.scope_for(operator).narrowed_to(ORG_OTHER)
    assert scope.is_empty


def test_ensure_organizations_creates_the_missing_ones_with_placeholder_names(organizations):
    Organization.objects.filter(upstream_id=ORG_A).update(name="Andes Fiber ISP")
    created = ensure_organizations([ORG_A, 42, 43, 42])
    assert created == 2
    names = dict(Organization.objects.values_list("upstream_id", "name"))
    assert names[42] == "Organization 42"
    assert names[ORG_A] == "Andes Fiber ISP"


def test_ensure_organizations_ignores_missing_and_invalid_ids(db):
    assert ensure_organizations([None, 0, -3]) == 0
    assert not Organization.objects.exists()
