"""The dashboard's own pages: overview, organization switcher, health (audit: audit_views)."""

from datetime import UTC, datetime

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from dashboard import tenancy

# The audit page lives in dashboard.audit_views; its page size is imported from there.
from dashboard.audit_views import AUDIT_PAGE_SIZE  # noqa: E402,F401
from devices.overview import fleet_overview
from profiles.selectors import profile_health_summary


@require_GET
@tenancy.scoped_view()
def overview(request):
    organizations = tenancy.organizations_for(request.user)
    if request.active_organization is not None:
        organizations = organizations.filter(upstream_id=request.active_organization)
    organizations = list(organizations)
    roles = tenancy.roles_by_organization(request.user, [org.upstream_id for org in organizations])
    fleet = fleet_overview(request.scope, now=datetime.now(UTC))
    rows = []
    for org in organizations:
        up, down = fleet.counts.get(org.upstream_id, (0, 0))
        total = up + down
        share = round(100 * up / total) if total else None
        rows.append({"organization": org, "role": roles[org.upstream_id], "up": up,
                     "down": down, "total": total, "up_share": share})  # fmt: skip
    context = {
        "rows": rows,
        "nav": "overview",
        "fleet": fleet,
        "most_down": sorted((r for r in rows if r["down"]), key=lambda r: -r["down"])[:5],
        "profile_health": profile_health_summary(request.scope),
    }
    return render(request, "dashboard/overview.html", context)


@require_POST
@tenancy.scoped_view()
def switch_organization(request):
    """Narrow pages to one organization, or back to all of the user's ('' or absent)."""
    raw = request.POST.get("organization", "").strip()
    if raw:
        try:
            org_id = int(raw)
        except ValueError:
            raise Http404("No such organization.") from None
        tenancy.set_active_organization(request, org_id)
    else:
        tenancy.set_active_organization(request, None)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return redirect(target)


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
