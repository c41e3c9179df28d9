"""Credentials out of profile data, before any template sees it.

`mask_secrets(value)` is the one function: every value under a credential-like
name, at any depth (inside mappings and lists), becomes `MASKED`, whole — a
masked mapping does not even show its keys. The name rule is
`controlapi.secret_words.looks_secret` (password, secret, token, api_key,
credential, private_key...), read after spelling the name in snake case
("Private Key", "privateKey" -> "private_key"), plus any name with "key" as a
word ("key", "ssh_key", "signing key"). Masking a harmless value by mistake costs
a "hidden" on the page; the other mistake costs a credential.

`mask_url` takes the password out of URLs' user part ("https://u:p@host") and the
values of credential-like query parameters ("?access_token=..."), also inside text such
as an error message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from controlapi.secret_words import looks_secret


class Masked:
    """Stands where a credential was. Shown as dots and the word "hidden"."""

    __slots__ = ()
    text = "••••••"

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return "MASKED"


MASKED = Masked()

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[\s\-.]+")
_URL_PASSWORD = re.compile(r"(://[^\s/@:]*:)[^\s/]*@")
_QUERY_VALUE = re.compile(r"([?&;])([^\s=&#;]+)=([^\s&#;]*)")


def is_credential_name(name: object) -> bool:
    snake = _SEPARATORS.sub("_", _CAMEL.sub("_", str(name))).lower()
    return looks_secret(snake) or "key" in snake.split("_")


def mask_secrets(value):
    """A copy of `value` (mappings become dicts, tuples lists) with credentials masked."""
    if isinstance(value, Mapping):
        return {
            key: MASKED if is_credential_name(key) else mask_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_secrets(item) for item in value]
    if isinstance(value, str):
        return mask_url(value)
    return value


def mask_url(text: str, replacement: str = MASKED.text) -> str:
    """The text with the password of any URL's user part ("scheme://user:pw@") and the
    values of credential-like query parameters replaced by `replacement`."""
    text = _URL_PASSWORD.sub(rf"\g<1>{replacement}@", text)
    return _QUERY_VALUE.sub(
        lambda m: f"{m[1]}{m[2]}={replacement}" if is_credential_name(m[2]) else m[0], text
    )
