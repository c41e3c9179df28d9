"""The views' answers to a device they cannot show: 404 when the user may not see it, the
same whether it does not exist or is outside the user's organizations (selectors say
`DeviceNotFound`); 410 naming who deleted it and when, when the audit trail holds its
delete through the dashboard in an organization whose trail the user may read (a second
click of Delete, an old link in an e-mail); 503 in words when it is in no cache and the
control API cannot be read, so nobody can tell yet whether it exists (`DeviceUnavailable`).

ASSUMPTION: a device deleted in the control API directly leaves no trace here: 404."""

from __future__ import annotations

from functools import wraps

from django.http import Http404
from django.shortcuts import render

from accounts import audit, tenancy
from devices.selectors import DeviceNotFound, DeviceUnavailable


def device_404(view):
    """`view`, answering 404 where it (or a service it calls) finds no such device, and
    503 where the device could not be read at all."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DeviceNotFound as error:
            deleted = _deletion(request, kwargs.get("device_id"))
            if deleted is None:
                raise Http404(str(error)) from None
            return render(
                request,
                "devices/deleted.html",
                {"device_id": deleted.device_id, "deleted": deleted, "nav": "devices"},
                status=410,
            )
        except DeviceUnavailable as error:
            return render_unavailable(request, kwargs.get("device_id"), error)

    return wrapper


def _deletion(request, device_id: int | None):
    if device_id is None:
        return None
    return audit.last_deletion(tenancy.scope_for(request.user, tenancy.AUDIT), device_id)


def render_unavailable(request, device_id: int | None, error):
    return render(
        request,
        "devices/detail_unavailable.html",
        {"device_id": device_id, "error": str(error), "nav": "devices"},
        status=503,
    )
