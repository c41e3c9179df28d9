"""Template context every page's layout needs."""

from django.conf import settings

from accounts import tenancy
from devices.fleet_health import fleet_banner


def _is_partial(request) -> bool:
    # An htmx request (not a boosted link) gets a fragment without the layout: the
    # layout's banner and switcher would be read for nothing, on every live refresh.
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def banner(request):
    """The global banner above every page: stale fleet data, a failing poller, or the
    degraded mode when Redis is unreachable (pages then read the upstream directly).

    Returns `{"banner": None}` or `{"banner": {"level": "info"|"warning"|"error",
    "message": str}}`; `templates/includes/banner.html` renders it. The rule lives in
    `fleet.freshness`; this never raises and never calls the upstream.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or _is_partial(request):
        return {"banner": None}
    # A page that already read the fleet snapshot (the device list) leaves it on the
    # request: one Redis round trip fewer.
    found = fleet_banner(snapshot=getattr(request, "fleet_snapshot", None))
    return {"banner": found.as_dict() if found else None}


def tenancy_context(request):
    """The user's role line and the organization switcher's choices."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or _is_partial(request):
        return {}
    noc = tenancy.noc_role(user)
    roles = tenancy.memberships(user)
    # A page that already read the user's organizations (the device list) leaves them on
    # the request: one query fewer.
    organizations = getattr(request, "user_organizations", None)
    if organizations is None:
        organizations = list(tenancy.organizations_for(user))
    if noc:
        role_label = f"NOC {noc}"
    elif len(roles) == 1:
        role_label = next(iter(roles.values()))
    elif roles:
        role_label = f"member of {len(roles)} organizations"
    else:
        role_label = "no organization"
    return {
        "nav_role": role_label,
        "nav_is_noc": noc is not None,
        # The Notifications link, for those who may manage rules somewhere (alerts/).
        "nav_rules": tenancy.role_allows(noc, tenancy.ALERT_RULES)
        or any(tenancy.role_allows(role, tenancy.ALERT_RULES) for role in roles.values()),
        # The Audit link, for those who may read the trail somewhere (not a wall's account).
        "nav_audit": tenancy.role_allows(noc, tenancy.AUDIT)
        or any(tenancy.role_allows(role, tenancy.AUDIT) for role in roles.values()),
        # The Firmware link, for those who may run firmware campaigns somewhere (campaigns/).
        "nav_campaigns": tenancy.role_allows(noc, tenancy.FIRMWARE)
        or any(tenancy.role_allows(role, tenancy.FIRMWARE) for role in roles.values()),
        "nav_organizations": organizations,
        # Set by scoped_view, which already checked it; read afresh on other pages.
        "nav_active_organization": (
            request.active_organization
            if hasattr(request, "active_organization")
            else tenancy.active_organization(request)
        ),
        # One organization needs no switcher.
        "nav_show_switcher": len(organizations) > 1,
    }


def display(request):
    """The zone times are shown in, so every page can say it."""
    return {"display_time_zone": settings.DISPLAY_TIME_ZONE}
