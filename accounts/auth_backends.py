"""Authentication backends: login throttling in front of Django's own."""

from axes.backends import AxesStandaloneBackend


class LoginThrottle(AxesStandaloneBackend):
    """Axes' lockout check, for logins that come with a request (the login form, the admin's).

    A call without a request (a management command, a shell) has no address to throttle by;
    Axes would refuse it outright, so it is left to the next backend instead."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
