"""The views' answer to a device the user may not see: 404, the same whether it does not
exist or is outside the user's organizations (selectors say `DeviceNotFound`; views
decide the answer)."""

from __future__ import annotations

from functools import wraps

from django.http import Http404

from devices.selectors import DeviceNotFound


def device_404(view):
    """`view`, answering 404 where it (or a service it calls) finds no such device."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DeviceNotFound as error:
            raise Http404(str(error)) from None

    return wrapper
