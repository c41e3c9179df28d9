"""Connection-profile pages: the list (with health at a glance) and one profile's detail.

Views only read through profiles.selectors, which read the read model (or, when
it has nothing, the upstream) and never hand a credential to a template.
"""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts import tenancy
from common import profile_health as health
from profiles import selectors

PAGE_SIZE = 25
NAME_MAX_LENGTH = 100


@require_GET
@vary_on_headers("HX-Request")
@tenancy.scoped_view()
def profile_list(request):
    name = request.GET.get("name", "").strip()[:NAME_MAX_LENGTH]
    state = request.GET.get("state", "").strip()
    state_error = None
    if state and state not in health.STATES:
        state_error = f"There is no health state “{state[:40]}”; showing every state."
        state = ""
    listing = selectors.profile_list(scope=request.scope, name=name, state=state)
    page = Paginator(listing.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "nav": "profiles",
        "listing": listing,
        "page": page,
        "name": name,
        "state": state,
        "state_error": state_error,
        "states": [(s, health.STATE_LABELS[s]) for s in health.STATES],
    }
    # htmx (filter form, state links, pages) swaps only the results; a history
    # restore asks for the whole page.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "profiles/list.html#profile-results" if partial else "profiles/list.html"
    return render(request, template, context)


@require_GET
@tenancy.scoped_view()
def profile_detail(request, profile_id: int):
    # The user's whole scope, not the switcher's narrowing: like tenancy.ensure_allowed.
    scope = tenancy.scope_for(request.user, tenancy.VIEW)
    try:
        detail = selectors.profile_detail(scope=scope, profile_id=profile_id)
    except selectors.ProfileUnreadable as error:
        # The dashboard works; it has nothing to show yet: the page says why, like the
        # list does, rather than answering as if the site itself were down.
        context = {"nav": "profiles", "error": str(error), "profile_id": profile_id}
        return render(request, "profiles/unavailable.html", context)
    if detail is None:
        raise Http404("No such profile.")
    return render(request, "profiles/detail.html", {"nav": "profiles", "profile": detail})
