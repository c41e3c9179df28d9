"""Logins in the audit trail: each failed login and each lockout, with the address.

The password never reaches the trail: Django's failed-login signal hides it, and
`record_action` masks any secret-looking parameter anyway.
"""

from axes.helpers import get_client_ip_address
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from accounts.audit import FAILED, record_action

# Usernames are typed by whoever is at the form; keep a pasted essay out of the trail.
MAX_USERNAME = 150


def _address(request) -> str:
    return get_client_ip_address(request) or "" if request is not None else ""


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username") or "").replace("\x00", "")[:MAX_USERNAME]
    record_action(
        user=None,
        username=username or "(no username)",
        action="login_failed",
        result=FAILED,
        parameters={"address": _address(request)},
    )


@receiver(user_locked_out, dispatch_uid="audit-login-locked-out")
def audit_locked_out(sender, request, username, ip_address, **kwargs):
    record_action(
        user=None,
        username=str(username or "(no username)").replace("\x00", "")[:MAX_USERNAME],
        action="login_locked_out",
        result=FAILED,
        parameters={"address": ip_address or ""},
        error_message="Too many failed logins for this username from this address.",
    )
