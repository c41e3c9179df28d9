"""Who may open, save, share and manage saved views: the one place that answers it.

- Open: a personal view, its owner; a shared view, whoever may see its organization
  (members of it in any role, NOC staff). Anyone else gets 404.
- Save a personal view, pin a view, choose a default: anyone with a role other than
  the display role (a wall screen's account only looks).
- Create, rename or delete a view shared with an organization: that organization's
  admins and NOC admins. A personal view: its owner.
"""

from __future__ import annotations

from accounts import tenancy
from accounts.models import Role
from saved_views.models import SavedView


def may_open(user, view: SavedView) -> bool:
    if view.organization_id is None:
        return view.owner_id is not None and view.owner_id == user.pk
    return tenancy.scope_for(user, tenancy.VIEW).allows(view.organization_id)


def may_save(user) -> bool:
    """Whether the user may keep views of their own (and pins and a default)."""
    roles = (tenancy.noc_role(user), *tenancy.memberships(user).values())
    return any(role is not None and role != Role.DISPLAY for role in roles)


def may_share_with(user, org_id: int) -> bool:
    return tenancy.role_for(user, org_id) == Role.ADMIN


def may_manage(user, view: SavedView) -> bool:
    """Rename or delete."""
    if view.organization_id is None:
        return may_open(user, view) and may_save(user)
    return may_share_with(user, view.organization_id)


def shareable_organizations(user) -> list:
    """The Organization rows the user may share a view with, by name."""
    organizations = list(tenancy.organizations_for(user))
    roles = tenancy.roles_by_organization(user, [o.upstream_id for o in organizations])
    return [o for o in organizations if roles[o.upstream_id] == Role.ADMIN]
