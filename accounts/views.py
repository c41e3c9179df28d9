"""Logging in: the login page, the lockout page and the page of a refused form (CSRF)."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.exceptions import DisallowedHost
from django.http.request import split_domain_port
from django.shortcuts import render
from django.urls import reverse

from accounts import tenancy

# Browsers keep Secure cookies from these hosts even over plain HTTP.
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]"}


def insecure_transport(request) -> bool:
    """Cookies are set Secure but this request came over plain HTTP: the browser will not
    send them back, so no form (the login form first) can pass the CSRF check."""
    secure_cookies = settings.CSRF_COOKIE_SECURE or settings.SESSION_COOKIE_SECURE
    if not secure_cookies or request.is_secure():
        return False
    # A TLS proxy said HTTPS without SECURE_PROXY_SSL_HEADER trusting it: enough not to warn.
    if request.META.get("HTTP_X_FORWARDED_PROTO", "").lower() == "https":
        return False
    host, _port = split_domain_port(request.META.get("HTTP_HOST", ""))
    return host not in LOOPBACK_HOSTS and not host.endswith(".localhost")


def _https_url(request) -> str:
    try:
        return f"https://{request.get_host()}{request.get_full_path()}"
    except DisallowedHost:
        return ""


def _transport_context(request) -> dict:
    if not insecure_transport(request):
        return {}
    return {"insecure_transport": True, "https_url": _https_url(request)}


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        # A wall screen's account lands on the wall, unless a page was asked for (`next`).
        if tenancy.is_display_only(self.request.user):
            return reverse("wall:wall")
        return super().get_default_redirect_url()

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_transport_context(request=self.request)}


def csrf_failure(request, reason=""):
    """A refused form, in the site's layout; says why when it is secure cookies over HTTP."""
    return render(
        request, "registration/csrf_failure.html", _transport_context(request), status=403
    )


def locked_out(request, original_response=None, credentials=None):
    """Axes' answer to a locked-out username and address: when to try again."""
    from axes.helpers import get_client_username, get_cool_off, get_failure_limit

    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "username": get_client_username(request, credentials) or "",
        "cooloff_minutes": max(1, round(cool_off.total_seconds() / 60)) if cool_off else None,
    }
    return render(request, "registration/locked_out.html", context, status=429)
