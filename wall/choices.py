"""What each user chose for their wall: read with defaults, saved with an audit entry."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts import audit
from wall import panels
from wall.models import DEFAULT_SECONDS, WallSettings


@dataclass(frozen=True)
class WallChoice:
    panels: tuple[str, ...]  # panel keys in order, each one known (wall.panels.KINDS)
    seconds: int


def choice_for(user) -> WallChoice:
    """The user's panels and seconds; every panel kind, every DEFAULT_SECONDS, until chosen.
    A stored key no longer known (a kind removed) is skipped."""
    stored = WallSettings.objects.filter(user=user).first()
    if stored is None:
        return WallChoice(panels.DEFAULT, DEFAULT_SECONDS)
    known = tuple(key for key in stored.panels if key in panels.KINDS)
    return WallChoice(known or panels.DEFAULT, stored.seconds)


def save_choice(*, user, chosen: list[str], seconds: int) -> WallChoice:
    with transaction.atomic():
        WallSettings.objects.update_or_create(
            user=user, defaults={"panels": list(chosen), "seconds": seconds}
        )
        parameters = {"panels": ", ".join(chosen), "seconds": seconds}
        audit.record_action(
            user=user, action="wall_settings", result=audit.OK, parameters=parameters
        )
    return WallChoice(tuple(chosen), seconds)
