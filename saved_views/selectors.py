"""Reads of saved views: which a user may open, their default and pins, a view's list
state for a user, and a view as a tile of live counts (the overview's and the wall's).

ASSUMPTION: a tile counts the devices the view lists, so a view of Down devices counts no
Up; it lists TILE_DOWN_DEVICES of its Down devices, in the view's sort, those not in
maintenance first.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import redis
from django.db.models import Q
from django.http import Http404
from django.urls import reverse

from accounts import tenancy
from accounts.tenancy import OrgScope
from common import integers
from common.device_names import shown_name
from devices import list_filters, list_selectors
from devices.fleet_health import fleet_snapshot
from devices.in_maintenance import MAX_DOWN_READ
from devices.list_filters import ListFilters
from maintenance_windows.in_force import window_for, windows_in_force
from saved_views import permissions
from saved_views.models import DefaultView, PinnedView, SavedView

log = logging.getLogger(__name__)

TILE_DOWN_DEVICES = 5
TILE_UNREACHABLE = "Counts unknown: the fleet cache (Redis) is unreachable."
TILE_NOT_POLLED = "No counts yet: the first poll of the fleet has not finished."


def views_for(user):
    """The views `user` may open: their personal ones and those shared with their
    organizations (every shared one for NOC staff), by name."""
    scope = tenancy.scope_for(user, tenancy.VIEW)
    mine = Q(organization_id__isnull=True, owner_id=user.pk)
    if scope.all:
        return SavedView.objects.filter(mine | Q(organization_id__isnull=False))
    return SavedView.objects.filter(mine | Q(organization_id__in=scope.ids))


def view_for(user, view_id: int) -> SavedView:
    """The view, or 404 when it does not exist or the user may not open it (the same)."""
    view = SavedView.objects.filter(pk=view_id).first()
    if view is None or not permissions.may_open(user, view):
        raise Http404("No such view.")
    return view


def same_name(*, owner, organization_id: int | None, name: str, exclude: int | None = None):
    """The view already called `name` (whatever its case) where a view of `owner` shared
    with `organization_id` (None: personal) would be listed with it, or None."""
    views = SavedView.objects.filter(name__iexact=name).exclude(pk=exclude)
    if organization_id is None:
        return views.filter(organization_id__isnull=True, owner=owner).first()
    return views.filter(organization_id=organization_id).first()


def default_view(user) -> SavedView | None:
    """The user's default for /devices/, while they may still open it."""
    chosen = DefaultView.objects.filter(user=user).select_related("view").first()
    if chosen is None or not permissions.may_open(user, chosen.view):
        return None
    return chosen.view


def pinned_views(user) -> list[SavedView]:
    """The views pinned to the user's overview that they may still open, oldest pin first."""
    pins = PinnedView.objects.filter(user=user).select_related("view")
    return [pin.view for pin in pins if permissions.may_open(user, pin.view)]


def view_scope(view: SavedView, scope: OrgScope) -> OrgScope:
    """The scope a view is read in: `scope`, narrowed to the view's organization filter
    (empty when that organization is not the reader's), so a filter the reader may not
    use shows nothing rather than every device of theirs."""
    return query_scope(view.query if isinstance(view.query, dict) else {}, scope)


def query_scope(query: Mapping, scope: OrgScope) -> OrgScope:
    """`scope` narrowed to the organization filter of `query` (a view's, or the state its
    page shows once changed there), as `view_scope` says."""
    org = query.get("organization")
    org_id = integers.int_or_none(str(org or ""), minimum=1, maximum=integers.ID_MAX)
    return scope.narrowed_to(org_id) if org_id is not None else scope


def view_filters(view: SavedView, scope: OrgScope, *, now: datetime | None = None) -> ListFilters:
    """The view's list state for a reader of `scope` (unknown values named, left out)."""
    query = view.query if isinstance(view.query, dict) else {}
    return list_filters.parse(query, scope=view_scope(view, scope), now=now or datetime.now(UTC))


@dataclass(frozen=True)
class TileDevice:
    id: int
    name: str
    organization: str
    url: str
    in_maintenance: bool = False


@dataclass(frozen=True)
class ViewTile:
    """A saved view as a tile: its live counts for one reader; `error` says in words why
    there are none (the counts are then None)."""

    name: str
    url: str
    up: int | None
    down: int | None
    total: int | None
    down_devices: tuple[TileDevice, ...] = ()
    error: str = ""
    # Of the Down devices, those a maintenance window in force covers (as the overview's
    # "of which in maintenance"), and whether that is a lower bound (too many to read).
    in_maintenance: int = 0
    maintenance_at_least: bool = False

    @property
    def down_all_maintained(self) -> bool:
        return (
            bool(self.down) and self.in_maintenance == self.down and not self.maintenance_at_least
        )

    @property
    def attention_first(self) -> bool:
        """Whether the listed Down devices put those not in maintenance first (not simply
        the view's first ones): some, not all, of the Down devices are in maintenance."""
        return bool(self.in_maintenance) and not self.down_all_maintained


def view_tile(view: SavedView, scope: OrgScope) -> ViewTile:
    """The view's Up/Down counts and the Down devices it lists (`_down_listed`), from the
    fleet cache, within `scope` (the reader's: `tenancy.scope_for(user)`). Never raises
    for Redis or the upstream: the tile says why it has no counts."""
    url = reverse("saved_views:open", args=[view.pk])
    empty = ViewTile(name=view.name, url=url, up=None, down=None, total=None)
    snapshot = fleet_snapshot()
    if snapshot.unreachable:
        return replace(empty, error=TILE_UNREACHABLE)
    if snapshot.info is None:
        return replace(empty, error=TILE_NOT_POLLED)
    reader = view_scope(view, scope)
    filters = view_filters(view, scope)
    org_ids = reader.org_ids_or_none()
    everything = list_filters.without_status(filters.query)
    counted = list_selectors.fleet_counts(org_ids=org_ids, query=everything, snapshot=snapshot)
    if counted.error or counted.counts is None:
        return replace(empty, error=counted.error or TILE_UNREACHABLE)
    up, down_count = counted.counts.get("up", 0), counted.counts.get("down", 0)
    if filters.status == "up":
        return ViewTile(name=view.name, url=url, up=up, down=0, total=up)
    if filters.status == "down":
        up = 0
    windows = windows_in_force(datetime.now(UTC), org_ids) if down_count else []
    try:
        listed = _down_listed(org_ids, filters.query, windows, snapshot)
    except redis.RedisError as error:
        log.warning("fleet cache unreachable, saved view tile not read: %s", error)
        return replace(empty, error=TILE_UNREACHABLE)
    names = list_selectors.organization_names(d.organization_id for d in listed.devices)
    devices = tuple(
        TileDevice(
            id=d.id,
            name=shown_name(d.name),
            organization=names.get(d.organization_id, ""),
            url=reverse("devices:detail", args=[d.id]),
            in_maintenance=d.id in listed.maintained,
        )
        for d in listed.devices
    )
    return ViewTile(
        name=view.name, url=url, up=up, down=down_count, total=up + down_count,
        down_devices=devices, in_maintenance=listed.covered, maintenance_at_least=listed.at_least,
    )  # fmt: skip


@dataclass(frozen=True)
class _DownListed:
    """The Down devices a tile lists, those of them in maintenance (ids), and how many of
    all the view's Down devices a window in force covers (`at_least`: a lower bound)."""

    devices: list
    maintained: frozenset[int] = frozenset()
    covered: int = 0
    at_least: bool = False


def _down_listed(org_ids, query, windows, snapshot) -> _DownListed:
    """TILE_DOWN_DEVICES of the view's Down devices: those not in maintenance first (in the
    view's order), then those in maintenance, as the view's first few could all be in
    maintenance while others, needing attention, went unlisted. Raises redis.RedisError.
    ASSUMPTION: while a window is in force, the Down devices are read one by one up to
    MAX_DOWN_READ, as the overview's "of which in maintenance" count; past it the count is
    a lower bound and a device needing attention further on is not looked for."""
    down = replace(query, status=False, offset=0, limit=TILE_DOWN_DEVICES)
    if not windows:
        page = list_selectors.device_list(org_ids=org_ids, query=down, snapshot=snapshot)
        return _DownListed(devices=list(page.items))
    attention, maintained = [], []
    covered, at_least = 0, False
    for read, device in enumerate(list_selectors.iter_matching(org_ids, down), start=1):
        if read > MAX_DOWN_READ:
            at_least = True
            break
        in_window = window_for(device, windows) is not None
        covered += in_window
        kept = maintained if in_window else attention
        if len(kept) < TILE_DOWN_DEVICES:
            kept.append(device)
    return _DownListed(
        devices=(attention + maintained)[:TILE_DOWN_DEVICES],
        maintained=frozenset(d.id for d in maintained),
        covered=covered,
        at_least=at_least,
    )
