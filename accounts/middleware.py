"""Middleware of the dashboard: the display time zone, and requests whose session ended."""

import zoneinfo
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.shortcuts import resolve_url
from django.utils import timezone
from django_htmx.http import HttpResponseClientRefresh


class DisplayTimeZoneMiddleware:
    """Render every time in the display zone (DISPLAY_TIME_ZONE); storage stays UTC."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.zone = zoneinfo.ZoneInfo(settings.DISPLAY_TIME_ZONE)

    def __call__(self, request):
        timezone.activate(self.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class HtmxLoginRedirectMiddleware:
    """A part's refresh (htmx) whose session has ended reloads the whole page, which then goes to
    the login form, instead of getting the login form swapped into the middle of the page. A form
    sent after the session ended is lost: the login page says so."""

    LOST = (
        "Your session ended before what you sent could be saved: nothing was changed. "
        "Log in, then fill in the form again."
    )

    def __init__(self, get_response):
        self.get_response = get_response
        self.login_path = resolve_url(settings.LOGIN_URL)

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code not in (301, 302) or (
            urlsplit(response.get("Location", "")).path != self.login_path
        ):
            return response
        # Sent to log in with the page to come back to (`next`): not logging out by hand.
        if request.method == "POST" and "next=" in urlsplit(response["Location"]).query:
            messages.warning(request, self.LOST)
        if getattr(request, "htmx", False):
            return HttpResponseClientRefresh()
        return response


class SessionRenewalMiddleware:
    """Sessions expire after SESSION_COOKIE_AGE seconds without a request: a logged-in request
    pushes the expiry back, but writes the session at most once per SESSION_RENEW_SECONDS, so
    the wall screen's refreshes every few seconds do not each write to the database."""

    KEY = "_renewed_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get("_auth_user_id"):
            now = int(timezone.now().timestamp())
            renewed_at = session.get(self.KEY)
            if (
                not isinstance(renewed_at, int)
                or now - renewed_at >= settings.SESSION_RENEW_SECONDS
            ):
                session[self.KEY] = now  # marks it modified: saved, cookie set with a new expiry
        return self.get_response(request)
