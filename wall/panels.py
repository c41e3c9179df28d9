"""The wall's panel kinds: what each reads, within the viewer's organizations, and draws.

A panel is read on its own (its fragment refreshes itself), so one that cannot be read
says so in words and leaves the others standing. Every reader takes the request's scope
(accounts.tenancy, narrowed by the organization switcher) and reads only the read model
and the dashboard's database, never the upstream.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from django.db import DatabaseError

from controlapi import errors
from devices import triage
from devices.triage_filter import LIST, TriageQuery
from overview.views import organization_rows
from profiles.selectors import profile_health_summary
from saved_views import selectors as saved_views

log = logging.getLogger(__name__)

# The Down devices a triage panel lists; the rest are counted ("and 40 more").
TRIAGE_ROWS = 12


@dataclass(frozen=True)
class Panel:
    """One panel a user may put on their wall: `key` names it in URLs and the stored
    choice, `read(request)` gives its template's context."""

    key: str
    title: str
    template: str
    read: Callable[[object], dict]


def _overview(request) -> dict:
    # The wall shows counts only: the charts' history is not read every refresh.
    rows, fleet = organization_rows(
        request.user, request.scope, request.active_organization, with_charts=False
    )
    return {"rows": rows, "error": fleet.error}


def _triage(request) -> dict:
    board = triage.triage_board(
        user=request.user, scope=request.scope, now=datetime.now(UTC),
        query=TriageQuery(view=LIST), down_only=True,
    )  # fmt: skip
    return {
        "board": board,
        "rows": board.down[:TRIAGE_ROWS],
        "more": max(0, board.down_total - TRIAGE_ROWS),
    }


def _profiles(request) -> dict:
    return {"profile_health": profile_health_summary(request.scope)}


# The panels every user may choose; a wall not set up shows these, in this order.
FIXED: dict[str, Panel] = {
    panel.key: panel
    for panel in (
        Panel("overview", "Overview", "wall/panels/overview.html", _overview),
        Panel("triage", "Down now", "wall/panels/triage.html", _triage),
        Panel("profiles", "Profile health", "wall/panels/profiles.html", _profiles),
    )
}
DEFAULT = tuple(FIXED)


def _saved_view(view) -> Panel:
    """A saved view as a big Up/Down tile with its Down devices, read in the viewer's scope
    (the same view shows each viewer only their organizations' devices)."""

    def read(request) -> dict:
        return {"tile": saved_views.view_tile(view, request.scope)}

    return Panel(f"view-{view.pk}", f"View: {view.name}", "wall/panels/saved_view.html", read)


def offered(user) -> dict[str, Panel]:
    """Every panel `user` may choose, by key, in the chooser's order: the fixed ones, then
    each saved view the user may open (personal, or shared with their organizations)."""
    found = dict(FIXED)
    for view in saved_views.views_for(user):
        panel = _saved_view(view)
        found[panel.key] = panel
    return found


def read_panel(kind: Panel, request) -> dict:
    """The panel's context; on a failure of Redis, the upstream or the database, the
    failure in words (`panel_error`) instead of a 500 on a wall left on for days."""
    try:
        return kind.read(request)
    except redis.RedisError as error:
        log.warning("wall panel %s: fleet cache unreachable: %s", kind.key, error)
        return {"panel_error": "Unknown: the fleet cache (Redis) is unreachable."}
    except errors.ControlAPIError as error:
        log.warning("wall panel %s: upstream error: %s", kind.key, error)
        said = errors.as_sentence(error)
        return {"panel_error": f"Unknown: the control API could not be read: {said}"}
    except DatabaseError as error:
        log.warning("wall panel %s: database error: %s", kind.key, error)
        return {"panel_error": "Unknown: the dashboard's database could not be read."}
