"""Which organizations a user may see or act on: the one place that answers it.

Every view gets the user's scope from here (`scoped_view`), every action on an
object of one organization checks `ensure_allowed`, and every read-model query
takes `scope.org_ids_or_none()`. Outsiders get 404, never 403, so a page does
not reveal that something exists in another organization.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from accounts.models import Membership, NocRole, Organization, Role

# --- actions and what each role may do ---------------------------------------

VIEW = "view"
REFRESH = "refresh"
REBOOT = "reboot"
SYNC = "sync"
RECONF = "reconfigure"
DEBUG = "debug"
FACTORY_RESET = "factory_reset"
FIRMWARE = "firmware"
DEVICE_CREATE = "device_create"
DEVICE_EDIT = "device_edit"
DEVICE_DELETE = "device_delete"
HEADLESS = "headless"
MAINTENANCE = "maintenance"
# Notification rules: see, create, edit, test, disable and delete them (alerts/).
# ASSUMPTION: only admins, as rules say where an organization's alerts go (docs/SECURITY.md).
ALERT_RULES = "alert_rules"
# A note on a device (timeline/): anyone who may see a device, but a wall screen's account.
NOTE = "note"
# The audit trail's page and export: every role but the display role.
AUDIT = "audit"
# An uptime report's CSV (reports/): every role but the display role, as the audit export.
REPORT_EXPORT = "report_export"

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.DISPLAY: frozenset({VIEW}),
    Role.VIEWER: frozenset({VIEW, NOTE, AUDIT, REPORT_EXPORT}),
    Role.OPERATOR: frozenset(
        {VIEW, NOTE, AUDIT, REPORT_EXPORT, REFRESH, REBOOT, SYNC, RECONF, DEBUG}
    ),
    Role.ADMIN: frozenset(
        {VIEW, NOTE, AUDIT, REPORT_EXPORT, REFRESH, REBOOT, SYNC, RECONF, DEBUG}
        | {FACTORY_RESET, FIRMWARE, DEVICE_CREATE, DEVICE_EDIT, DEVICE_DELETE}
        | {HEADLESS, MAINTENANCE, ALERT_RULES}
    ),
}
ACTIONS = ROLE_ACTIONS[Role.ADMIN]
# Strongest last: used to pick the higher of a NOC role and a membership role.
ROLE_ORDER = [Role.DISPLAY, Role.VIEWER, Role.OPERATOR, Role.ADMIN]


def role_allows(role: str | None, action: str) -> bool:
    return role is not None and action in ROLE_ACTIONS[role]


# --- the scope ---------------------------------------------------------------


@dataclass(frozen=True)
class OrgScope:
    """The organizations one user may see or act on for one action."""

    all: bool
    ids: frozenset[int] = frozenset()

    def allows(self, org_id: int | None) -> bool:
        if org_id is None:
            # An object with no organization is visible to all-organization staff only.
            return self.all
        return self.all or int(org_id) in self.ids

    def org_ids_or_none(self) -> frozenset[int] | None:
        """What read-model queries take: None means every organization."""
        return None if self.all else self.ids

    @property
    def is_empty(self) -> bool:
        return not self.all and not self.ids

    def narrowed_to(self, org_id: int) -> OrgScope:
        """This scope limited to one organization (empty if it was not in it)."""
        return OrgScope(all=False, ids=frozenset({org_id}) if self.allows(org_id) else frozenset())


NOTHING = OrgScope(all=False)
EVERYTHING = OrgScope(all=True)


def _check_action(action: str) -> None:
    # A typo in an action name must fail in development, not deny silently in production.
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}; expected one of {sorted(ACTIONS)}.")


# While `scoped_view` serves a request, the user's grants are read once and kept on the
# user object (which lives as long as the request); everywhere else they are read afresh.
_GRANTS = "_tenancy_grants"


def _read_noc_role(user) -> str | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN
    return NocRole.objects.filter(user=user).values_list("role", flat=True).first()


def _read_memberships(user) -> dict[int, str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    rows = Membership.objects.filter(user=user).values_list("organization__upstream_id", "role")
    return dict(rows)


def noc_role(user) -> str | None:
    """The user's role over every organization: superusers are NOC admins."""
    grants = getattr(user, _GRANTS, None)
    return grants[0] if grants is not None else _read_noc_role(user)


def memberships(user) -> dict[int, str]:
    """Organization upstream id -> the user's role in it."""
    grants = getattr(user, _GRANTS, None)
    return dict(grants[1]) if grants is not None else _read_memberships(user)


def scope_for(user, action: str = VIEW) -> OrgScope:
    _check_action(action)
    if role_allows(noc_role(user), action):
        return EVERYTHING
    ids = frozenset(org for org, role in memberships(user).items() if role_allows(role, action))
    return OrgScope(all=False, ids=ids)


def is_display_only(user) -> bool:
    """Whether every role the user holds is the display role (a wall screen's account)."""
    roles = {noc_role(user), *memberships(user).values()} - {None}
    return roles == {Role.DISPLAY}


def strongest_role(*roles: str | None) -> str | None:
    held = [role for role in roles if role is not None]
    return max(held, key=ROLE_ORDER.index) if held else None


def role_for(user, org_id: int) -> str | None:
    """The strongest role the user holds over this organization, or None."""
    return strongest_role(noc_role(user), memberships(user).get(int(org_id)))


def roles_by_organization(user, org_ids) -> dict[int, str | None]:
    """role_for over many organizations, in two queries."""
    noc, member = noc_role(user), memberships(user)
    return {org_id: strongest_role(noc, member.get(org_id)) for org_id in org_ids}


def can(user, action: str, org_id: int | None) -> bool:
    return scope_for(user, action).allows(org_id)


def ensure_allowed(user, action: str, org_id: int | None) -> None:
    """Raise Http404 unless the user may do `action` in this organization."""
    if not can(user, action, org_id):
        raise Http404("No such object.")


def organizations_for(user):
    """The Organization rows the user may see, by name."""
    scope = scope_for(user, VIEW)
    if scope.all:
        return Organization.objects.all()
    return Organization.objects.filter(upstream_id__in=scope.ids)


# --- the active organization (the switcher) ------------------------------------

ACTIVE_ORG_SESSION_KEY = "active_organization"


def active_organization(request) -> int | None:
    """The organization the user narrowed pages to, checked against their scope now.

    A choice that is no longer allowed (membership removed) is dropped.
    """
    org_id = request.session.get(ACTIVE_ORG_SESSION_KEY)
    if org_id is None:
        return None
    if is_switchable(request.user, org_id):
        return int(org_id)
    request.session.pop(ACTIVE_ORG_SESSION_KEY, None)
    return None


def is_switchable(user, org_id) -> bool:
    try:
        org_id = int(org_id)
    except (TypeError, ValueError):
        return False
    # NOC staff may narrow to any organization the dashboard knows of.
    return (
        scope_for(user, VIEW).allows(org_id)
        and Organization.objects.filter(upstream_id=org_id).exists()
    )


def set_active_organization(request, org_id: int | None) -> None:
    """Narrow pages to one organization (None: all of the user's). 404 outside scope."""
    if org_id is None:
        request.session.pop(ACTIVE_ORG_SESSION_KEY, None)
        return
    if not is_switchable(request.user, org_id):
        raise Http404("No such organization.")
    request.session[ACTIVE_ORG_SESSION_KEY] = int(org_id)


def request_scope(request, action: str = VIEW) -> OrgScope:
    """The user's scope for `action`, narrowed to the active organization if one is chosen."""
    scope = scope_for(request.user, action)
    active = getattr(request, "active_organization", None)
    if active is None and not hasattr(request, "active_organization"):
        active = active_organization(request)
    return scope if active is None else scope.narrowed_to(active)


def outside_scope_message(request, org_id: int, *, verb: str = "see") -> str:
    """Why a page will not use organization `org_id` from its URL, in one sentence.

    When the switcher is the reason it says so; NOC staff (who may see every organization)
    asking for one the dashboard has no row for hear that. Anyone else hears the same
    words whether the organization exists or not.
    """
    active = getattr(request, "active_organization", None)
    if scope_for(request.user, VIEW).allows(org_id):
        if active is None or active == org_id:
            return f"No organization #{org_id} is known to the dashboard."
        name = Organization.objects.filter(upstream_id=active).values_list("name", flat=True)
        label = f"{name.first() or 'organization'} (#{active})"
        return (
            f"You are switched to {label}; to {verb} organization #{org_id}, choose it or "
            "all organizations in the Organization switcher at the top."
        )
    return not_yours_message(org_id, verb=verb)


def not_yours_message(org_id: int, *, verb: str = "see") -> str:
    """The same words whether the organization exists or not."""
    return f"You cannot {verb} organization #{org_id}: it is not one of your organizations."


# --- connection profiles ------------------------------------------------------------
# ASSUMPTION (profiles/selectors.py): a profile carries no organization id upstream, only
# (in the newer shape) an organization's name: it belongs to the organization of that name,
# compared without surrounding spaces and ignoring case; one without is NOC staff's alone.


def folded_name(name: str | None) -> str:
    """A name as names are compared here: without surrounding spaces, ignoring case."""
    return (name or "").strip().casefold()


def profile_organization_names(scope: OrgScope) -> frozenset[str] | None:
    """The organization names whose profiles `scope` shows (None: every profile)."""
    if scope.all:
        return None
    names = Organization.objects.filter(upstream_id__in=scope.ids).values_list("name", flat=True)
    return frozenset(folded_name(n) for n in names if folded_name(n))


def visible_profiles(profiles, scope: OrgScope) -> list:
    """Those of `profiles` (anything with an `organization` name) that `scope` shows."""
    names = profile_organization_names(scope)
    if names is None:
        return list(profiles)
    return [p for p in profiles if folded_name(p.organization) in names]


def scoped_view(action: str = VIEW):
    """Require login and set `request.scope` (and `request.active_organization`).

    Use on every page: `@scoped_view()` for reads, `@scoped_view(action=REBOOT)`
    where the page itself is an action. Objects of one organization still go
    through `ensure_allowed` (which ignores the switcher: it narrows what a page
    lists, it grants nothing).
    """
    _check_action(action)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            setattr(user, _GRANTS, (_read_noc_role(user), _read_memberships(user)))
            try:
                request.active_organization = active_organization(request)
                request.scope = request_scope(request, action)
                return view(request, *args, **kwargs)
            finally:
                delattr(user, _GRANTS)

        return login_required(wrapper)

    return decorator
