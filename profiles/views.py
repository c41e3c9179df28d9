"""Connection-profile pages. A placeholder until the profile cache is wired in."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard import tenancy


@require_GET
@tenancy.scoped_view()
def profile_list(request):
    return render(request, "profiles/placeholder.html", {"title": "Profiles", "nav": "profiles"})
