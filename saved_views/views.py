"""The saved views' pages: the device list with the save form and the user's default
view, one view opened at its stable URL, the list of views with their management forms,
and the POSTs that change them (each through saved_views.services, audit-logged)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts import tenancy
from common import integers
from devices import list_filters
from devices.list_selectors import organization_names
from devices.views import list_page
from saved_views import permissions, selectors, services
from saved_views.forms import RenameViewForm, SaveViewForm

# Asked for by "Show all devices": /devices/ without the default view (any query does it).
ALL_DEVICES = "all"


def _save_form(request, *, data=None) -> SaveViewForm:
    """Unbound, its `query` is the page's (`view_query` of the list's context)."""
    organizations = permissions.shareable_organizations(request.user)
    return SaveViewForm(data, organizations=organizations)


def _save_context(request, form=None) -> dict:
    may_save = permissions.may_save(request.user)
    return {"may_save": may_save, "save_form": form or (_save_form(request) if may_save else None)}


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
@tenancy.scoped_view()
def device_list(request):
    """/devices/: the user's default view when asked with no query at all, else the list
    with a "Save view" form."""
    if not request.GET and not request.htmx:
        default = selectors.default_view(request.user)
        if default is not None:
            return redirect(default.get_absolute_url())
    # An htmx request renders the list's own parts only: no form to fill.
    extra = (
        {} if request.htmx else {**_save_context(request), "all_devices_url": _all_devices_url()}
    )
    return list_page(request, template="saved_views/device_list.html", extra=extra)


def _all_devices_url() -> str:
    return f"{reverse('devices:list')}?{ALL_DEVICES}=1"


# Marks the links and the filter form of a view's page: their query is the whole state
# shown, not changes to the view's (a choice of a default, such as every status, would
# otherwise fall back to the view's own).
ADJUSTED = "adjusted"


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
@tenancy.scoped_view()
def open_view(request, view_id: int):
    """A view at its stable URL, read with the opener's organizations: as saved (a query
    typed by hand, such as `?page=2`, over it), or as changed on its page (`adjusted=1`)."""
    view = selectors.view_for(request.user, view_id)
    adjusted = request.GET.get(ADJUSTED) == "1"
    query = request.GET if adjusted else {**view.query, **request.GET.dict()}
    # The organization filter of the state shown, which the page may have changed.
    scope = selectors.query_scope(query, request.scope)
    reads = {"query": query, "base": view.get_absolute_url(), "scope": scope,
             "marks": {ADJUSTED: "1"}}  # fmt: skip
    if request.htmx:
        return list_page(request, **reads)
    default = selectors.default_view(request.user)
    extra = {
        **_save_context(request),
        "title": view.name,
        "heading": view.name,
        "view": view,
        "adjusted": adjusted,
        "is_default": default is not None and default.pk == view.pk,
        "may_manage": permissions.may_manage(request.user, view),
        "shared_with": _organization_name(view.organization_id),
        "all_devices_url": _all_devices_url(),
    }
    return list_page(request, template="saved_views/view_list.html", extra=extra, **reads)


def _organization_name(org_id: int | None) -> str:
    if org_id is None:
        return ""
    return organization_names([org_id])[org_id]


@require_POST
@tenancy.scoped_view()
def create_view(request):
    form = _save_form(request, data=request.POST)
    if not permissions.may_save(request.user):
        _not_found()
    if form.is_valid():
        _refuse_a_name_in_use(form, owner=request.user, organization_id=form.cleaned_data["share"])
    query = {}
    if form.is_valid():
        try:
            query = canonical_query(request, form.cleaned_data["query"])
        except QueryRefused as refused:
            form.add_error(None, str(refused))
    if not form.is_valid():
        context = {"nav": "devices", "title": "Save view", "form": form}
        return render(request, "saved_views/save.html", context, status=400)
    data = form.cleaned_data
    view = services.create_view(
        user=request.user, name=data["name"], query=query,
        organization_id=data["share"], make_default=data["make_default"], pin=data["pin"],
    )  # fmt: skip
    messages.success(request, f"Saved the view “{view.name}”.")
    return redirect(view.get_absolute_url())


def _refuse_a_name_in_use(form, *, owner, organization_id, exclude=None) -> None:
    """ASSUMPTION: one's personal views, and one organization's shared views, each have
    names of their own (whatever the case), so a list, an overview or a wall that shows
    them side by side tells them apart; checked when saved, not by the database."""
    name = form.cleaned_data["name"]
    found = selectors.same_name(owner=owner, organization_id=organization_id, name=name,
                                exclude=exclude)  # fmt: skip
    if found is None:
        return
    where = ("You already have" if organization_id is None
             else f"{_organization_name(organization_id)} already has")  # fmt: skip
    form.add_error("name", f"{where} a view called “{found.name}”: choose another name.")


class QueryRefused(ValueError):
    """A list state a view may not keep; its message says why, in words."""


def canonical_query(request, raw: str) -> dict:
    """The list's state in `raw` (a URL query) as the list's parser writes it, without the
    page: what a view keeps. Raises QueryRefused for an organization filter the user may
    not use here: left out, it would widen the view to every organization of theirs."""
    params = QueryDict(raw)
    filters = list_filters.parse(params, scope=request.scope, now=datetime.now(UTC))
    asked = params.get("organization", "").strip()
    if asked and filters.organization is None:
        org_id = integers.int_or_none(asked, minimum=1, maximum=integers.ID_MAX)
        reason = (tenancy.outside_scope_message(request, org_id) if org_id is not None
                  else f"“{asked[:40]}” is not an organization id (a whole number).")  # fmt: skip
        raise QueryRefused(f"{reason} A view keeps its organization filter, never a wider list.")
    # PostgreSQL's JSON refuses a NUL, which a search typed as "%00" would carry.
    return {k: v.replace("\x00", "") for k, v in filters.params().items() if k != "page"}


def _not_found():
    raise Http404("No such view.")


def _views_context(request, *, rename_errors=None) -> dict:
    user = request.user
    default = selectors.default_view(user)
    pinned = {v.pk for v in selectors.pinned_views(user)}
    names = {}
    views = list(selectors.views_for(user))
    shared_ids = {v.organization_id for v in views if v.organization_id is not None}
    if shared_ids:
        names = organization_names(shared_ids)
    rows = [
        {
            "view": v,
            "shared_with": names.get(v.organization_id, ""),
            "is_default": default is not None and default.pk == v.pk,
            "pinned": v.pk in pinned,
            "may_manage": permissions.may_manage(user, v),
            "rename_form": (rename_errors or {}).get(v.pk)
            or RenameViewForm(initial={"name": v.name}, prefix=f"view{v.pk}"),
        }
        for v in views
    ]
    return {"nav": "devices", "title": "Saved views", "rows": rows,
            "may_save": permissions.may_save(user), "has_default": default is not None}  # fmt: skip


@require_GET
@tenancy.scoped_view()
def view_list(request):
    return render(request, "saved_views/views.html", _views_context(request))


@require_POST
@tenancy.scoped_view()
def rename_view(request, view_id: int):
    view = selectors.view_for(request.user, view_id)
    form = RenameViewForm(request.POST, prefix=f"view{view.pk}")
    if not permissions.may_manage(request.user, view):
        _not_found()
    if form.is_valid():
        _refuse_a_name_in_use(form, owner=view.owner, organization_id=view.organization_id,
                              exclude=view.pk)  # fmt: skip
    if not form.is_valid():
        context = _views_context(request, rename_errors={view.pk: form})
        return render(request, "saved_views/views.html", context, status=400)
    services.rename_view(user=request.user, view=view, name=form.cleaned_data["name"])
    messages.success(request, f"Renamed to “{view.name}”.")
    return redirect("saved_views:list")


@require_POST
@tenancy.scoped_view()
def update_view(request, view_id: int):
    """The view keeps the list as its page shows it now (its `query`)."""
    view = selectors.view_for(request.user, view_id)
    if not permissions.may_manage(request.user, view):
        _not_found()
    raw = request.POST.get("query", "")
    try:
        query = canonical_query(request, raw)
    except QueryRefused as refused:
        messages.error(request, f"The view was not updated: {refused}")
        return redirect(_adjusted_url(view, raw))
    services.update_view_query(user=request.user, view=view, query=query)
    messages.success(request, f"The view “{view.name}” now keeps the list as shown.")
    return redirect(view.get_absolute_url())


def _adjusted_url(view, raw: str) -> str:
    """The view's page showing the state `raw` (not saved), so a refused update loses
    nothing of what the page showed."""
    state = QueryDict(raw, mutable=True)
    state[ADJUSTED] = "1"
    return f"{view.get_absolute_url()}?{state.urlencode()}"


@require_POST
@tenancy.scoped_view()
def delete_view(request, view_id: int):
    view = selectors.view_for(request.user, view_id)
    name = view.name
    services.delete_view(user=request.user, view=view)
    messages.success(request, f"Deleted the view “{name}”.")
    return redirect("saved_views:list")


@require_POST
@tenancy.scoped_view()
def pin_view(request, view_id: int):
    view = selectors.view_for(request.user, view_id)
    services.pin_view(user=request.user, view=view)
    messages.success(request, f"Pinned “{view.name}” to your overview.")
    return redirect("saved_views:list")


@require_POST
@tenancy.scoped_view()
def unpin_view(request, view_id: int):
    view = selectors.view_for(request.user, view_id)
    services.unpin_view(user=request.user, view=view)
    messages.success(request, f"“{view.name}” is no longer on your overview.")
    return redirect("saved_views:list")


@require_POST
@tenancy.scoped_view()
def make_default(request, view_id: int):
    view = selectors.view_for(request.user, view_id)
    services.set_default(user=request.user, view=view)
    messages.success(request, f"Devices now opens with “{view.name}”.")
    return redirect("saved_views:list")


@require_POST
@tenancy.scoped_view()
def clear_default(request):
    services.set_default(user=request.user, view=None)
    messages.success(request, "Devices now opens with every device.")
    return redirect("saved_views:list")
