"""Where a form may send the browser back to: only a path of this site (no open redirect)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from django.utils.http import url_has_allowed_host_and_scheme


def local_path(request, target: str) -> str | None:
    """`target`'s path and query when it is a URL or path of this site, else None."""
    parts = urlsplit(target)
    path = urlunsplit(("", "", parts.path, parts.query, ""))
    # Only a path of ours: a bare word would be taken for a URL name, another host leaves.
    if path.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return path
    return None
