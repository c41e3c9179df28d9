"""Device pages. Placeholders until the fleet read model is wired in."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard import tenancy


@require_GET
@tenancy.scoped_view()
def device_list(request):
    return render(request, "devices/placeholder.html", {"title": "Devices", "nav": "devices"})


@require_GET
@tenancy.scoped_view()
def triage(request):
    return render(request, "devices/placeholder.html", {"title": "Triage", "nav": "triage"})
