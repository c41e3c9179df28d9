"""What each user chose for their wall: read with defaults, saved with an audit entry."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts import audit
from wall import panels
from wall.models import DEFAULT_SECONDS, WallSettings


@dataclass(frozen=True)
class WallChoice:
    panels: tuple[panels.Panel, ...]  # in the order shown
    seconds: int


def choice_for(user, offered: dict[str, panels.Panel] | None = None) -> WallChoice:
    """The user's panels and seconds; the fixed panels, every DEFAULT_SECONDS, until chosen.
    A stored panel no longer offered to the user (a kind removed, a view gone) is skipped.
    `offered`: `panels.offered(user)`, when the caller has it."""
    offered = panels.offered(user) if offered is None else offered
    stored = WallSettings.objects.filter(user=user).first()
    keys = panels.DEFAULT if stored is None else stored.panels
    # The admin can store any JSON: only a list of known keys counts.
    keys = keys if isinstance(keys, list | tuple) else ()
    chosen = tuple(offered[key] for key in keys if isinstance(key, str) and key in offered)
    if not chosen:
        chosen = tuple(offered[key] for key in panels.DEFAULT)
    return WallChoice(chosen, DEFAULT_SECONDS if stored is None else stored.seconds)


def save_choice(*, user, chosen: list[str], seconds: int) -> WallChoice:
    with transaction.atomic():
        WallSettings.objects.update_or_create(
            user=user, defaults={"panels": list(chosen), "seconds": seconds}
        )
        parameters = {"panels": ", ".join(chosen), "seconds": seconds}
        audit.record_action(
            user=user, action="wall_settings", result=audit.OK, parameters=parameters
        )
    return choice_for(user)
