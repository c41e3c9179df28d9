"""The fleet pages: the device list (with its CSV export and bulk actions) and triage.

Views only parse, call a selector or a service, and render. The list renders the
whole page, or for htmx only the results (a control changed) or only the rows and
counters (the periodic refresh, target `device-rows`), from one template.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import partial, wraps

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from accounts import tenancy
from accounts.models import Organization
from devices import (
    bulk,
    bulk_tasks,
    configured,
    export,
    fleet_health,
    form_keys,
    list_filters,
    list_rows,
    list_selectors,
    notes,
    triage_filter,
)
from devices import triage as triage_reads
from devices.models import BulkJob
from devices.not_found import device_404
from fleet.freshness import describe_age
from fleet.store.keys import SORT_KEYS
from maintenance_windows.in_force import windows_in_force

REFRESH_SECONDS = 10
BULK_ALREADY_STARTED = (
    "This confirmation was sent already: it started the job below. Nothing was started again."
)
BULK_BAD_KEY = (
    "Nothing was started: this page is too old to tell whether it was sent before. Look at "
    "the audit trail for actions just sent, then confirm again here if you still want it."
)
# The table's columns in order: (CSS class, heading, the sort keys its links sort by). The
# class lets narrower screens hide the less important columns (static/css/app.css); the
# rows (the list template's fleet-rows partial) give their cells the same classes.
COLUMNS = (
    ("status", "col-status", "Status", ("status", "status_change")),
    ("name", "col-name", "Name", ("name",)),
    ("serial", "col-serial", "Serial", ("serial",)),
    ("customer", "col-customer", "Customer id", ("customer_id",)),
    ("organization", "col-org", "Organization", ("organization",)),
    ("type", "col-type", "Type", ("type",)),
    ("location", "col-location", "Location", ("location",)),
    ("software", "col-software", "Software", ("software",)),
    ("address", "col-address", "Address", ()),
    ("seen", "col-seen", "Last connection", ("last_connection",)),
    ("pending", "col-pending", "Pending", ()),
)
# A link's words where they are not the column's heading.
SORT_WORDS = {"status_change": ("since", "Sort by status change")}
assert {k for *_, keys in COLUMNS for k in keys} == set(SORT_KEYS)  # a sort needs a column
assert tuple(key for key, *_ in COLUMNS) == list_filters.COLUMN_KEYS  # one order, one word each


def _now() -> datetime:
    return datetime.now(UTC)


def _url(base: str, params: dict) -> str:
    """`base` (the list's path, reversed once per page) with `params` as its query."""
    return f"{base}?{urlencode(params)}" if params else base


def _no_types(*, org_ids) -> dict[int, str]:
    return {}


# The type select's choices, per process: a read of several Redis round trips on every full
# page that changes only with the fleet. Kept per (read, key prefix, organizations,
# snapshot time) for TYPES_SECONDS at most, which bounds how late a type one device's
# refresh brings in (within a snapshot) shows up. An empty answer (Redis down, nothing
# polled yet) is not kept.
TYPES_SECONDS = 10.0
_TYPES_KEPT = 64
_types_cache: dict[tuple, tuple[float, dict[int, str]]] = {}


def _cached_types(types, *, org_ids, as_of) -> dict[int, str]:
    if as_of is None:
        return types(org_ids=org_ids)
    prefix = configured.key_prefix()
    key = (types, prefix, org_ids, as_of)
    now = time.monotonic()
    kept = _types_cache.get(key)
    if kept is not None and now - kept[0] < TYPES_SECONDS:
        return kept[1]
    found = types(org_ids=org_ids)
    if found:
        if len(_types_cache) >= _TYPES_KEPT:
            _types_cache.clear()
        _types_cache[key] = (now, found)
    return found


def _list_context(
    request, *, read=list_selectors.device_list, count=list_selectors.fleet_counts,
    types=list_selectors.device_types, query=None, base: str = "", scope=None, marks=None,
) -> dict:  # fmt: skip
    """The list page's context; `read` and `count` are the reads of rows and of the chips'
    counts (the cache's, or the upstream's for the benchmark page), `types` the type
    select's (none: a number box). `query` (default: the request's), `base` (default: the
    list's path), `scope` (default: the request's) and `marks` (parameters every link and
    the filter form carry besides the list's own) let another page show the list at a
    query of its own (a saved view)."""
    now = _now()
    scope = request.scope if scope is None else scope
    query = request.GET if query is None else query
    outside = partial(tenancy.outside_scope_message, request)
    filters = list_filters.parse(query, scope=scope, now=now, outside=outside)
    org_ids = scope.org_ids_or_none()
    # The page's reads and the layout's banner share one read of the snapshot.
    snapshot = request.fleet_snapshot = fleet_health.fleet_snapshot()
    listing = read(org_ids=org_ids, query=filters.query, snapshot=snapshot)
    last = list_filters.last_page(listing.total, filters.per_page)
    if filters.page > last and listing.total:
        # A page past the end (the fleet shrank, or a hand-edited URL): show the last one.
        filters = list_filters.parse(_with_page(query, last), scope=scope, now=now, outside=outside)
        listing = read(org_ids=org_ids, query=filters.query, snapshot=snapshot)
    counts = listing.counts
    if filters.status and not listing.degraded:
        # The chips show both numbers for the rest of the filter.
        counts = count(
            org_ids=org_ids, query=list_filters.without_status(filters.query), snapshot=snapshot
        ).counts
    params = filters.params()
    base = base or reverse("devices:list")
    marks = marks or {}

    def link(state: dict) -> str:
        return _url(base, {**state, **marks})

    choices = list(tenancy.organizations_for(request.user))
    # The layout's organization switcher lists the same rows: read once per request.
    request.user_organizations = choices
    # Every listed device is in one of the user's organizations: `choices` names them all
    # (one query for both); a placeholder for an organization without a row.
    names = {o.upstream_id: o.name for o in choices}
    names.update(
        {
            d.organization_id: Organization.placeholder_name(d.organization_id)
            for d in listing.items
            if d.organization_id is not None and d.organization_id not in names
        }
    )
    # The filter's choices are the user's organizations, not the page's narrowed scope (a
    # saved view of one organization): its own filter must stay shown, and so be kept.
    if not request.scope.all:
        choices = [o for o in choices if o.upstream_id in request.scope.ids]
    can_act = _can_act(request.user)
    # Windows are few: read once per page, each row tested against them.
    windows = windows_in_force(now, org_ids) if listing.items else []
    # Pinned notes of the page's devices: one query, a marker on their rows.
    pinned = notes.pinned_warnings([d.id for d in listing.items], scope=scope)
    warnings = {device_id: notes.warning_words(found) for device_id, found in pinned.items()}
    rows = list_rows.fleet_rows(listing.items, names, now=now, windows=windows, warnings=warnings)
    # The filter form is only in the full page: htmx swaps never re-render it.
    type_choices = (
        []
        if request.htmx
        else list_filters.type_choices(
            _cached_types(types, org_ids=org_ids, as_of=listing.as_of), filters.type
        )
    )
    form_options = {} if request.htmx else _form_options(filters, choices, type_choices)
    return {
        "nav": "devices",
        "title": "Devices",
        "filters": filters,
        "listing": listing,
        "rows": rows,
        "rows_html": list_rows.table_body(rows, selectable=can_act, columns=filters.columns),
        "columns": filters.columns,
        "columns_chosen": filters.columns != list_filters.COLUMN_KEYS,
        "column_choices": [(key, heading) for key, _, heading, _ in COLUMNS],
        "counts": counts,
        "age": describe_age(now - listing.as_of) if listing.as_of else None,
        "organizations": choices,
        "type_choices": type_choices,
        "changed_picks": [(key, label) for key, (label, _) in list_filters.CHANGED_PICKS.items()],
        "page_sizes": list_filters.PAGE_SIZES,
        "page_count": last,
        "self_url": link(params),
        "form_url": base,
        "form_marks": marks,
        "chip_urls": {
            word: link(
                {
                    **_without(params, "status", "page"),
                    **({"status": word} if word != "all" else {}),
                },
            )
            for word in ("all", "up", "down")
        },
        "header": _header(link, params, filters.sort, filters.columns),
        "sorted_by": filters.query.sort,
        "can_create": not tenancy.scope_for(request.user, tenancy.DEVICE_CREATE).is_empty,
        "previous_url": link({**params, "page": str(filters.page - 1)})
        if filters.page > 1
        else None,
        "next_url": link({**params, "page": str(filters.page + 1)})
        if filters.page < last
        else None,
        "refresh_seconds": REFRESH_SECONDS,
        "export_url": _export_url(params)
        if not tenancy.scope_for(request.user, tenancy.REPORT_EXPORT).is_empty
        else None,
        "filter_query": urlencode(_without(params, "page", "per_page", "sort", "columns")),
        # What a saved view keeps: the whole state but the page.
        "view_query": urlencode(_view_state(query, params)),
        "can_act": can_act,
        "bulk_actions": bulk.BULK_ACTIONS,
        **form_options,
    }


def _view_state(query, params: dict) -> dict:
    """`params` without the page, with an organization filter the list did not use as it
    was asked (`query`'s), so that saving this state is refused rather than widened."""
    state = _without(params, "page")
    asked = query.get("organization", "")
    if isinstance(asked, str) and asked.strip() and "organization" not in state:
        state["organization"] = asked.strip()
    return state


def _with_page(query, page: int):
    """`query` (a QueryDict, whose repeated `columns` stay, or a dict) at another page."""
    if hasattr(query, "setlist"):
        query = query.copy()
        query["page"] = str(page)
        return query
    return {**query, "page": str(page)}


def _form_options(filters, organizations, type_choices) -> dict:
    """The filter form's select options (`list_rows.select_options`)."""
    return {
        "organization_options": list_rows.select_options(
            ((o.upstream_id, f"{o.name} (#{o.upstream_id})") for o in organizations),
            filters.organization,
        ),
        "type_options": list_rows.select_options(type_choices, filters.type),
        "page_size_options": list_rows.select_options(
            ((size, size) for size in list_filters.PAGE_SIZES), filters.per_page
        ),
    }


def _can_act(user) -> bool:
    """Whether some bulk action is allowed in some organization: the rule of
    `tenancy.scope_for(...).is_empty`, with the user's roles read once, not per action."""
    roles = (tenancy.noc_role(user), *tenancy.memberships(user).values())
    return any(
        tenancy.role_allows(role, spec.permission)
        for spec in bulk.BULK_ACTIONS.values()
        for role in roles
    )


def _export_url(params: dict) -> str:
    rest = _without(params, "page", "per_page")
    base = reverse("devices:export")
    return f"{base}?{urlencode(rest)}" if rest else base


def _without(params: dict, *names: str) -> dict:
    return {k: v for k, v in params.items() if k not in names}


def _header(link, params: dict, current: str, columns: tuple[str, ...]) -> list[dict]:
    """The table's heading cells: each sortable column links to its sort (ascending first,
    descending when already ascending); the active sort's cell says which way
    (`aria-sort`) and shows an arrow."""
    rest = _without(params, "sort", "page")
    key, descending = current.removeprefix("-"), current.startswith("-")
    cells = []
    for name, css, heading, keys in COLUMNS:
        if name not in columns:
            continue
        links = []
        for sort in keys:
            active = sort == key
            target = f"-{sort}" if active and not descending else sort
            query = {**rest, **({"sort": target} if target != list_filters.DEFAULT_SORT else {})}
            label, aria_label = SORT_WORDS.get(sort, (heading, ""))
            links.append(
                {
                    "url": link(query),
                    "label": label,
                    "aria_label": aria_label,
                    "arrow": ("▼" if descending else "▲") if active else "",
                }
            )
        aria = "none" if keys else ""
        if key in keys:
            aria = "descending" if descending else "ascending"
        cells.append({"css": css, "heading": heading, "links": links, "aria": aria})
    return cells


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
@tenancy.scoped_view()
def device_list(request):
    return list_page(request)


def list_page(
    request, *, query=None, base: str = "", scope=None, marks=None, template="devices/list.html",
    extra=None,
):  # fmt: skip
    """The list page, or for htmx its part; `query`, `base`, `scope` and `marks` as
    `_list_context` takes them, `template` one that extends devices/list.html, `extra` more
    context."""
    reads = {"query": query, "base": base, "scope": scope, "marks": marks}
    context = {**_list_context(request, **reads), **(extra or {})}
    if request.htmx:
        target = request.htmx.target
        # The parts are the list's own, whichever page extends it.
        part = "#device-rows-refresh" if target == "device-rows" else "#device-results"
        return render(request, "devices/list.html" + part, context)
    return render(request, template, context)


def _benchmark_only(view):
    """404 unless BENCHMARK_VIEWS is on: the view exists for bench/pages.py only."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.BENCHMARK_VIEWS:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@_benchmark_only
@tenancy.scoped_view()
def device_list_naive(request):
    """The devices page built from the upstream on every request, no cache: the naive
    alternative the page benchmark compares the real page against (full page only)."""
    context = _list_context(
        request, read=list_selectors.upstream_device_list,
        count=list_selectors.upstream_device_list, types=_no_types,
    )  # fmt: skip
    return render(request, "devices/list.html", context)


@require_GET
@tenancy.scoped_view(action=tenancy.REPORT_EXPORT)
def device_export(request):
    # ASSUMPTION: whoever may export a report may export the devices: every role but a wall
    # screen's display account, which sees and never takes the fleet away.
    return export.csv_response(request)


# --- triage ----------------------------------------------------------------------------


def _triage_query(request) -> triage_filter.TriageQuery:
    return triage_filter.parse(
        request.GET, scope=request.scope,
        outside=partial(tenancy.outside_scope_message, request),
    )  # fmt: skip


def _triage_context(request) -> dict:
    query = _triage_query(request)
    board = triage_reads.triage_board(
        user=request.user, scope=request.scope, now=_now(), query=query
    )
    base = reverse("devices:triage")
    return {
        "nav": "triage",
        "title": "Triage",
        "board": board,
        "now": _now(),
        "refresh_seconds": REFRESH_SECONDS,
        "filter": query,
        "filter_words": _filter_words(query),
        "self_url": _url(base, query.params),
        "query_string": urlencode(query.params),
        "grouped_url": _url(base, query.with_view(triage_filter.GROUPED)),
        "list_url": _url(base, query.with_view(triage_filter.LIST)),
        "unfiltered_url": _url(base, _without(query.params, *query.filter_params)),
        "groups": [(g, _url(base, g.query) if g.query else None) for g in board.groups],
    }


def _filter_words(query: triage_filter.TriageQuery) -> str:
    """The board's filter in words, organizations by name."""
    selector = query.selector
    if selector is None:
        return ""
    words = selector.describe()
    if selector.organization_id is not None:
        name = list_selectors.organization_names([selector.organization_id])
        words = words.replace(
            f"organization {selector.organization_id}",
            f"organization {name[selector.organization_id]} (#{selector.organization_id})",
        )
    return words


@require_GET
@vary_on_headers("HX-Request")
@tenancy.scoped_view()
def triage(request):
    """The triage board. Its URL query (devices.triage_filter) is kept by its refresh, its
    toggle and its forms, so a filtered board is a link (notifications point at it):

    - `view=list`: one flat list instead of the groups (`view=grouped`, the default);
    - `organization=ID`: only that organization's devices (one outside the user's
      organizations is left out, and said so);
    - `type=ID`: only devices of that type (its connection profile);
    - `devices=ID,ID,...`: only these devices (at most 5000; ids the user may not see are
      not shown).

    e.g. `/triage/?devices=1,2,3` or `/triage/?organization=5&type=7`.
    """
    template = "devices/triage.html#triage-board" if request.htmx else "devices/triage.html"
    return render(request, template, _triage_context(request))


@require_POST
@tenancy.scoped_view(action=triage_reads.CLAIM)
@device_404
def triage_claim(request, device_id: int):
    try:
        triage_reads.claim_device(user=request.user, device_id=device_id,
                                  note=request.POST.get("note", ""))  # fmt: skip
    except triage_reads.ClaimedByOther as error:
        return _back_to_triage(
            request, f"{error} is already on it: nothing was claimed. Release their claim "
            "first if they are no longer on it.", failed=True,
        )  # fmt: skip
    return _back_to_triage(request, "Claimed: others see that you are on it.")


@require_POST
@tenancy.scoped_view(action=triage_reads.CLAIM)
@device_404
def triage_release(request, device_id: int):
    if not triage_reads.release_claim(user=request.user, device_id=device_id):
        return _back_to_triage(
            request, "There was no claim to release: someone released it already, or it "
            "ended once the device had stayed Up.",
        )  # fmt: skip
    return _back_to_triage(request, "Claim released.")


@require_POST
@tenancy.scoped_view(action=triage_reads.CLAIM)
@device_404
def triage_group_claim(request, device_id: int):
    try:
        taken = triage_reads.claim_group(
            user=request.user, scope=request.scope, anchor=device_id,
            note=request.POST.get("note", ""), now=_now(), query=_triage_query(request),
        )  # fmt: skip
    except triage_reads.GroupChanged:
        return _back_to_triage(
            request, "That group has changed since the board was drawn (devices came Up or "
            "went Down): nothing was claimed. Look at the board again.", failed=True,
        )  # fmt: skip
    except triage_reads.ClaimedByOther as error:
        return _back_to_triage(
            request, f"That group is already claimed by {error}: nothing was claimed.", failed=True,
        )  # fmt: skip
    if taken.count < taken.total:
        return _back_to_triage(
            request, f"Claimed {taken.count} of the group's {taken.total} devices; the others "
            f"are claimed by {', '.join(taken.others)}.",
        )  # fmt: skip
    return _back_to_triage(request, f"Claimed the group of {taken.count} devices: others see "
                           "that you are on it.")  # fmt: skip


@require_POST
@tenancy.scoped_view(action=triage_reads.CLAIM)
@device_404
def triage_group_release(request, device_id: int):
    count = triage_reads.release_group_claim(
        user=request.user, scope=request.scope, device_id=device_id
    )
    if not count:
        return _back_to_triage(
            request, "There was no claim to release: someone released it already, or it "
            "ended once its devices had stayed Up.",
        )  # fmt: skip
    return _back_to_triage(request, f"Group claim released ({count} devices).")


@require_POST
@tenancy.scoped_view()
@device_404
def triage_action(request, device_id: int, action: str):
    message, done = triage_reads.quick_action(
        user=request.user, device_id=device_id, action=action, key=request.POST.get("key", "")
    )
    return _back_to_triage(request, message, failed=not done)


def _back_to_triage(request, message: str, *, failed: bool = False):
    """The board again with `message`, shown as an error when what was asked was not done."""
    if request.htmx:
        context = {**_triage_context(request), "flash": message, "flash_failed": failed}
        return render(request, "devices/triage.html#triage-board", context)
    (messages.error if failed else messages.info)(request, message)
    return redirect(_url(reverse("devices:triage"), _triage_query(request).params))


# --- bulk actions ----------------------------------------------------------------------


@require_POST
@tenancy.scoped_view()
def bulk_confirm(request):
    """Step one: say how many devices in which organizations; nothing is sent yet."""
    plan = bulk.plan_from_request(request)
    return _confirmation(request, plan)


def _confirmation(request, plan, *, error: str = "", status: int = 200):
    """The confirmation page, its form under a new one-time key."""
    context = {"nav": "devices", "title": "Confirm bulk action", "plan": plan,
               "start_key": form_keys.new_key(), "key_error": error}  # fmt: skip
    return render(request, "devices/list_bulk_confirm.html", context, status=status)


@require_POST
@tenancy.scoped_view()
def bulk_start(request):
    plan = bulk.plan_from_request(request)
    if plan.error or not plan.device_ids:
        return _confirmation(request, plan, status=400)
    try:
        job = bulk.start_job(user=request.user, plan=plan, enqueue=bulk_tasks.queue_job,
                             key=request.POST.get("start_key", ""))  # fmt: skip
    except form_keys.SentBefore as done:
        messages.info(request, BULK_ALREADY_STARTED)
        return redirect("devices:bulk-job", job_id=done.row.pk)
    except form_keys.BadKey:
        return _confirmation(request, plan, error=BULK_BAD_KEY, status=400)
    return redirect("devices:bulk-job", job_id=job.pk)


def _job_for(request, job_id: int) -> BulkJob:
    job = get_object_or_404(BulkJob, pk=job_id)
    # A job is visible to whoever started it, and to NOC staff (all organizations).
    if job.user_id != request.user.pk and not tenancy.scope_for(request.user).all:
        raise Http404("No such job.")
    return job


@require_GET
@vary_on_headers("HX-Request")
@tenancy.scoped_view()
def bulk_job(request, job_id: int):
    job = _job_for(request, job_id)
    context = {"nav": "devices", "title": "Bulk action", "job": job,
               "progress": bulk.progress(job), "refresh_seconds": 2}  # fmt: skip
    if request.htmx:
        response = render(request, "devices/list_bulk_job.html#job-progress", context)
        if job.finished:
            # The last frame, then htmx stops asking (286).
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "devices/list_bulk_job.html", context)


@require_POST
@tenancy.scoped_view()
def bulk_cancel(request, job_id: int):
    job = _job_for(request, job_id)
    bulk.cancel_job(job=job, user=request.user)
    return redirect("devices:bulk-job", job_id=job.pk)
