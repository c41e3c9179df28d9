"""A destination's URL as pages, logs and the audit may show it.

An apprise URL carries its secret anywhere: a password (`mailto://user:pass@host`), a path
(`json://host/hook/<token>`), or the "host" itself (`slack://TokenA/TokenB/TokenC`). Only the
scheme and a host name are kept, everything else becomes "…".

ASSUMPTION: a network host name has a dot or is `localhost` (or an IP address), while the
tokens apprise takes in the host's place (Slack, PagerDuty, Telegram, Discord…) have none;
such a "host" is hidden too.
"""

from __future__ import annotations

from urllib.parse import urlsplit

HIDDEN = "…"
MAX_LENGTH = 200  # Destination.masked


def mask(url: str) -> str:
    """`json://receiver.example:8080/…`, `mailto://…@example.com/…`, `slack://…`."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # an unbalanced bracket: nothing of it is shown
        return HIDDEN
    scheme = parts.scheme.lower()
    if not scheme or not scheme.isascii() or "://" not in url:
        return HIDDEN
    try:
        host, port = parts.hostname or "", parts.port
    except ValueError:  # not a port (`tgram://123456:ABC-DEF/…`): a token, hidden
        host, port = "", None
    if not ("." in host or host == "localhost"):
        return f"{scheme}://{HIDDEN}"[:MAX_LENGTH]
    shown = f"{host}:{port}" if port else host
    user = f"{HIDDEN}@" if parts.username or parts.password else ""
    return f"{scheme}://{user}{shown}/{HIDDEN}"[:MAX_LENGTH]
