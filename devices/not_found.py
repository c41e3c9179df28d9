"""The views' answers to a device they cannot show: 404 when the user may not see it, the
same whether it does not exist or is outside the user's organizations (selectors say
`DeviceNotFound`); 503 in words when it is in no cache and the control API cannot be
read, so nobody can tell yet whether it exists (`DeviceUnavailable`)."""

from __future__ import annotations

from functools import wraps

from django.http import Http404
from django.shortcuts import render

from devices.selectors import DeviceNotFound, DeviceUnavailable


def device_404(view):
    """`view`, answering 404 where it (or a service it calls) finds no such device, and
    503 where the device could not be read at all."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DeviceNotFound as error:
            raise Http404(str(error)) from None
        except DeviceUnavailable as error:
            return render_unavailable(request, kwargs.get("device_id"), error)

    return wrapper


def render_unavailable(request, device_id: int | None, error):
    return render(
        request,
        "devices/detail_unavailable.html",
        {"device_id": device_id, "error": str(error), "nav": "devices"},
        status=503,
    )
