"""Template context every page's layout needs."""

from django.conf import settings

from dashboard import tenancy


def banner(request):
    """The global banner above every page: the hook for fleet-data freshness.

    Returns `{"banner": None}` or `{"banner": {"level": "info"|"warning"|"error",
    "message": str}}`; `templates/includes/banner.html` renders it. Nothing fills
    it yet: the read model will report "data as of …", "upstream unreachable" or
    "degraded" here. It must never raise and never call the upstream.
    """
    return {"banner": None}


def tenancy_context(request):
    """The user's role line and the organization switcher's choices."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    noc = tenancy.noc_role(user)
    roles = tenancy.memberships(user)
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
        "nav_organizations": organizations,
        "nav_active_organization": tenancy.active_organization(request),
        # One organization needs no switcher.
        "nav_show_switcher": len(organizations) > 1,
    }


def display(request):
    """The zone times are shown in, so every page can say it."""
    return {"display_time_zone": settings.DISPLAY_TIME_ZONE}
