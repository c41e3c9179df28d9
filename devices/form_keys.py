"""One-time keys rendered into a form that must act at most once (a device action, a new
device): the server remembers each key it has acted on, so the same form sent twice acts
once."""

import re
import secrets

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_key() -> str:
    return secrets.token_urlsafe(24)


def well_formed(key: str | None) -> bool:
    return bool(KEY_PATTERN.match(key or ""))
