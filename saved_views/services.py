"""Writes of saved views, each checked (404 to whoever may not) and audit-logged once.

The caller has already found the view with `selectors.view_for` (404 to outsiders); the
checks here are what the user may do with a view they may open.
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts import audit
from saved_views import permissions
from saved_views.models import DefaultView, PinnedView, SavedView


def _refuse() -> None:
    raise Http404("No such view.")


def _record(user, action: str, view: SavedView, **parameters) -> None:
    audit.record_action(
        user=user,
        action=action,
        result=audit.OK,
        organization_id=view.organization_id,
        parameters={"view": view.pk, "name": view.name, **parameters},
    )


@transaction.atomic
def create_view(
    *, user, name: str, query: dict, organization_id: int | None,
    make_default: bool = False, pin: bool = False,
) -> SavedView:  # fmt: skip
    """`query`: the list's canonical parameters (`ListFilters.params()`, without the page)."""
    if not permissions.may_save(user):
        _refuse()
    if organization_id is not None and not permissions.may_share_with(user, organization_id):
        _refuse()
    view = SavedView.objects.create(
        name=name, owner=user, organization_id=organization_id, query=query
    )
    _record(user, "saved_view_create", view, query=query, shared=organization_id is not None)
    if make_default:
        set_default(user=user, view=view)
    if pin:
        pin_view(user=user, view=view)
    return view


@transaction.atomic
def rename_view(*, user, view: SavedView, name: str) -> SavedView:
    if not permissions.may_manage(user, view):
        _refuse()
    before = view.name
    view.name = name
    view.updated_at = timezone.now()
    view.save(update_fields=["name", "updated_at"])
    _record(user, "saved_view_rename", view, previous_name=before)
    return view


@transaction.atomic
def update_view_query(*, user, view: SavedView, query: dict) -> SavedView:
    """The view keeps another state of the list (`query`: canonical, as `create_view`'s)."""
    if not permissions.may_manage(user, view):
        _refuse()
    before = view.query
    view.query = query
    view.updated_at = timezone.now()
    view.save(update_fields=["query", "updated_at"])
    _record(user, "saved_view_update", view, query=query, previous_query=before)
    return view


@transaction.atomic
def delete_view(*, user, view: SavedView) -> None:
    if not permissions.may_manage(user, view):
        _refuse()
    _record(user, "saved_view_delete", view, query=view.query)
    view.delete()


@transaction.atomic
def set_default(*, user, view: SavedView | None) -> None:
    """The view /devices/ opens with for `user`; None: every device again."""
    if not permissions.may_save(user):
        _refuse()
    if view is None:
        removed = DefaultView.objects.filter(user=user).select_related("view").first()
        if removed is not None:
            removed.delete()
            _record(user, "saved_view_default_clear", removed.view)
        return
    DefaultView.objects.update_or_create(user=user, defaults={"view": view})
    _record(user, "saved_view_default", view)


@transaction.atomic
def pin_view(*, user, view: SavedView) -> None:
    if not permissions.may_save(user):
        _refuse()
    _, created = PinnedView.objects.get_or_create(user=user, view=view)
    if created:
        _record(user, "saved_view_pin", view)


@transaction.atomic
def unpin_view(*, user, view: SavedView) -> None:
    if not permissions.may_save(user):
        _refuse()
    deleted, _ = PinnedView.objects.filter(user=user, view=view).delete()
    if deleted:
        _record(user, "saved_view_unpin", view)
