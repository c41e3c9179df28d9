"""The dashboard's own pages: overview, organization switcher, health (audit: audit_views)."""

from datetime import UTC, datetime

from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts import tenancy

# The audit page lives in accounts.audit_views; its page size is imported from there.
from accounts.audit_views import AUDIT_PAGE_SIZE  # noqa: E402,F401
from common import integers
from common.local_paths import local_path
from devices.fleet_health import fleet_banner
from devices.overview import fleet_overview
from devices.views import REFRESH_SECONDS
from profiles.selectors import profile_health_summary
from saved_views.selectors import pinned_views, view_tile


@require_GET
@vary_on_headers("HX-Request")
@tenancy.scoped_view()
def overview(request):
    """The wall-screen page. Its parts refresh themselves (htmx, every REFRESH_SECONDS,
    as the device list): a refresh gets them and the banner, out of band, not the page."""
    refresh = bool(request.htmx) and not request.htmx.boosted
    shown = _shown_organization(request) if refresh else request.active_organization
    scope = tenancy.scope_for(request.user, tenancy.VIEW)
    scope = scope if shown is None else scope.narrowed_to(shown)
    rows, fleet = organization_rows(request.user, scope, shown)
    context = {
        "rows": rows,
        "nav": "overview",
        "fleet": fleet,
        "most_down": sorted((r for r in rows if r["down"]), key=lambda r: -r["down"])[:5],
        "profile_health": profile_health_summary(scope),
        # The user's pinned saved views, counted within what this overview shows.
        "tiles": [view_tile(view, scope) for view in pinned_views(request.user)],
        "refresh_seconds": REFRESH_SECONDS,
        # The refresh asks for the organization shown, so it keeps it.
        "refresh_url": f"{reverse('overview')}?{urlencode({'organization': shown or ''})}",
    }
    if refresh:
        # The layout's banner is not read for htmx requests: the refresh brings its own.
        found = fleet_banner()
        context["banner"] = found.as_dict() if found else None
        return render(request, "dashboard/overview.html#overview-refresh", context)
    return render(request, "dashboard/overview.html", context)


def organization_rows(user, scope, shown: int | None, *, with_charts: bool = True):
    """One row per organization of the user's (only `shown`, when one is), and the fleet
    overview they were counted from; `with_charts=False` reads no Up/Down history."""
    organizations = tenancy.organizations_for(user)
    if shown is not None:
        organizations = organizations.filter(upstream_id=shown)
    organizations = list(organizations)
    roles = tenancy.roles_by_organization(user, [org.upstream_id for org in organizations])
    fleet = fleet_overview(scope, now=datetime.now(UTC), with_charts=with_charts)
    rows = [
        _organization_row(org, roles[org.upstream_id], fleet.counts, fleet.in_maintenance)
        for org in organizations
    ]
    return rows, fleet


def _organization_row(org, role, counts, in_maintenance) -> dict:
    """One organization's Up/Down row, for the overview and the wall's overview panel."""
    row = {"organization": org, "role": role, "up": None, "down": None, "total": None,
           "up_share": None, "maintenance": 0, "maintenance_at_least": False}  # fmt: skip
    if in_maintenance is not None:  # unknown (Redis down): no split shown
        row["maintenance"] = in_maintenance.counts.get(org.upstream_id, 0)
        row["maintenance_at_least"] = org.upstream_id in in_maintenance.at_least
    if counts is not None:  # unknown counts stay blank: zeros would read as a dead fleet
        up, down = counts.get(org.upstream_id, (0, 0))
        total = up + down
        share = round(100 * up / total) if total else None
        row.update(up=up, down=down, total=total, up_share=share)
    return row


def _shown_organization(request) -> int | None:
    """The organization a refresh shows: the one its page was drawn for (None: all),
    even if the switcher changed in another tab since, while the user may still see
    it; otherwise the switcher's."""
    if "organization" not in request.GET:
        return request.active_organization
    raw = request.GET["organization"]
    if raw == "":
        return None
    org_id = integers.int_or_none(raw, minimum=1, maximum=integers.ID_MAX)
    if org_id is not None and tenancy.is_switchable(request.user, org_id):
        return org_id
    return request.active_organization


@require_POST
@tenancy.scoped_view()
def switch_organization(request):
    """Narrow pages to one organization, or back to all of the user's ('' or absent)."""
    raw = request.POST.get("organization", "").strip()
    if raw:
        org_id = integers.int_or_none(raw, minimum=1, maximum=integers.ID_MAX)
        if org_id is None:
            raise Http404("No such organization.")
        tenancy.set_active_organization(request, org_id)
    else:
        tenancy.set_active_organization(request, None)
    return HttpResponseRedirect(_back_to(request))


def _back_to(request) -> str:
    """Where the switcher returns: `next` when it is a path of this site, else the page the
    form was on (its Referer, when of this site), else the overview."""
    for target in (request.POST.get("next", ""), request.headers.get("Referer", "")):
        if path := local_path(request, target):
            return path
    return "/"


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: send them to the static one."""
    return redirect(static("favicon.ico"))


@require_GET
@never_cache
def healthz(request):
    """Liveness only: the process answers. It touches neither the upstream nor Redis."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
@tenancy.scoped_view()
def healthz_auth(request):
    """The cheapest page behind login: sessions, the user and the scope, no Redis, no
    template. The page benchmark (bench/pages.py) measures other pages against it."""
    return HttpResponse("ok\n", content_type="text/plain")
