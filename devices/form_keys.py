"""One-time keys rendered into a form that must act at most once (a device action, a new
device): the server remembers each key it has acted on, so the same form sent twice acts
once."""

import re
import secrets
from contextlib import contextmanager

from django.db import IntegrityError

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_key() -> str:
    return secrets.token_urlsafe(24)


def well_formed(key: str | None) -> bool:
    return bool(KEY_PATTERN.match(key or ""))


class BadKey(Exception):
    """The form carried no key of this user's (a page from before keys, or a forged one)."""


class SentBefore(Exception):
    """The form was sent before under its key, and made `row` (a device's creation, a
    scheduling, a bulk job, a rule): nothing is done again."""

    def __init__(self, row):
        super().__init__(f"This form ({row.pk}) was sent already.")
        self.row = row


def require(key: str | None) -> None:
    """BadKey for a key that is not well formed; None is no form, and passes."""
    if key is not None and not well_formed(key):
        raise BadKey


def made_before(rows, *, user, owner: str):
    """After a create under a key broke its unique constraint: the row `rows` (filtered by
    that key) holds, when the user's (field `owner`); BadKey when another user's; None when
    there is none, and the key was not what broke it."""
    earlier = rows.first()
    if earlier is not None and getattr(earlier, owner) != user.pk:
        raise BadKey
    return earlier


@contextmanager
def creating_once(model, *, field: str, key: str | None, user, owner: str):
    """Around a create of a `model` row that keeps the form's `key` in its unique `field`:
    the key broken by an earlier create of the same user's raises SentBefore (that row),
    another user's BadKey; any other IntegrityError, or one with no key, is raised as is."""
    try:
        yield
    except IntegrityError:
        earlier = (
            None
            if key is None
            else made_before(model.objects.filter(**{field: key}), user=user, owner=owner)
        )
        if earlier is None:
            raise
        raise SentBefore(earlier) from None
