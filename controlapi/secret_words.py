"""The one rule for which field names hold credentials: the client drops such fields
from records and scrubs their values from messages, the audit trail redacts them and
the profile pages mask them."""

from __future__ import annotations

# A name containing any of these (case-insensitive) holds a credential.
SECRET_WORDS = (
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "credential",
    "private_key",
    "auth_key",
)


def looks_secret(key: object) -> bool:
    """Whether a field name looks like it holds a credential (masked in pages, never logged)."""
    lowered = str(key).lower()
    return any(word in lowered for word in SECRET_WORDS)
