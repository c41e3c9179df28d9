"""The fleet list's URL query, parsed and checked: the one place that reads it.

The URL holds the page's whole state, with the upstream's own parameter names
where it has them (`status`, `organization`, `type`, `last_status_change_from`,
`pending`), so a link can be shared and Back works. Our own names: `changed`
(a quick pick relative to now: 15m, 1h, 24h — relative, so a shared link keeps
meaning "the last hour"), `q` (search), `sort` (a column, `-` for descending),
`page` and `per_page`.

A bad value never fails the page: it is left out of the query and named in
`errors`, and the rest of the filter still applies. An organization outside the
user's scope is treated like a bad value (the read model would return nothing
for it anyway); it is never applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from accounts.tenancy import OrgScope, not_yours_message
from common import integers, moments
from fleet.store.indexes import MAX_SEARCH_LENGTH
from fleet.store.keys import SORT_KEYS
from fleet.store.queries import DeviceQuery

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
DEFAULT_SORT = "name"
# Quick picks for "status changed since": URL word -> (label, how long ago).
CHANGED_PICKS: dict[str, tuple[str, timedelta]] = {
    "15m": ("15 min", timedelta(minutes=15)),
    "1h": ("1 hour", timedelta(hours=1)),
    "24h": ("24 hours", timedelta(hours=24)),
}
# The upstream's spellings of a status (CONTROL_API.md), plus our own words.
STATUS_WORDS = {
    "up": True, "1": True, "true": True,
    "down": False, "0": False, "false": False,
}  # fmt: skip
TRUE_WORDS = {"1", "true", "on", "yes"}
FALSE_WORDS = {"0", "false", "off", "no", ""}
# The table's columns, in the order shown, by their URL word (`columns=status,name,...`);
# the name column holds each row's link, so it is always shown.
COLUMN_KEYS = (
    "status", "name", "serial", "customer", "organization", "type", "location", "software",
    "address", "seen", "pending",
)  # fmt: skip
ALWAYS_SHOWN = frozenset({"name"})
# The parameters that make up the filter (not sort or paging): a change resets the page.
FILTER_PARAMS = (
    "status", "organization", "type", "changed", "last_status_change_from", "pending", "q",
)  # fmt: skip


@dataclass(frozen=True)
class ListFilters:
    """The parsed query and what the page needs to show it back."""

    query: DeviceQuery  # for the current page
    status: str = ""  # "up", "down" or ""
    organization: int | None = None
    type: int | None = None
    changed: str = ""  # a CHANGED_PICKS key or ""
    changed_from: datetime | None = None  # the custom time, as given
    pending: bool = False
    q: str = ""
    sort: str = DEFAULT_SORT  # as in the URL, "-" prefix for descending
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE
    columns: tuple[str, ...] = COLUMN_KEYS  # those shown, in COLUMN_KEYS' order
    errors: tuple[str, ...] = field(default=())

    def without_paging(self, *, limit: int) -> DeviceQuery:
        """The same filter and sort from the first row, `limit` rows at a time (exports)."""
        return replace(self.query, offset=0, limit=limit)

    def params(self) -> dict[str, str]:
        """The canonical URL parameters of this state (only those that differ from defaults)."""
        out: dict[str, str] = {}
        if self.status:
            out["status"] = self.status
        if self.organization is not None:
            out["organization"] = str(self.organization)
        if self.type is not None:
            out["type"] = str(self.type)
        if self.changed:
            out["changed"] = self.changed
        elif self.changed_from is not None:
            out["last_status_change_from"] = self.changed_from.isoformat()
        if self.pending:
            out["pending"] = "true"
        if self.q:
            out["q"] = self.q
        if self.sort != DEFAULT_SORT:
            out["sort"] = self.sort
        if self.per_page != DEFAULT_PAGE_SIZE:
            out["per_page"] = str(self.per_page)
        if self.columns != COLUMN_KEYS:
            out["columns"] = ",".join(self.columns)
        if self.page != 1:
            out["page"] = str(self.page)
        return out


def _first(params: Mapping, name: str) -> str:
    value = params.get(name, "")
    # No device field holds a NUL, and PostgreSQL refuses one in the audit entry or saved view
    # that keeps the filter.
    return value.replace("\x00", "").strip() if isinstance(value, str) else ""


def _positive_int(raw: str) -> int | None:
    return integers.int_or_none(raw, minimum=1, maximum=integers.ID_MAX)


def parse(
    params: Mapping,
    *,
    scope: OrgScope,
    now: datetime,
    outside: Callable[[int], str] = not_yours_message,
) -> ListFilters:
    """Read the URL query into a DeviceQuery; never raises for a bad value. `outside` words
    why an organization outside `scope` is not used (`tenancy.outside_scope_message`)."""
    errors: list[str] = []
    values: dict = {}

    raw = _first(params, "status").lower()
    status: bool | None = None
    if raw:
        if raw in STATUS_WORDS:
            status = STATUS_WORDS[raw]
            values["status"] = "up" if status else "down"
        else:
            errors.append(f"Status “{raw}” is not known: use up or down. Showing every status.")

    organization = None
    raw = _first(params, "organization")
    if raw:
        org = _positive_int(raw)
        if org is None:
            errors.append(f"Organization “{raw}” is not an organization id (a whole number).")
        elif not scope.allows(org):
            errors.append(outside(org))
        else:
            organization = org
            values["organization"] = org

    device_type = None
    raw = _first(params, "type")
    if raw:
        device_type = _positive_int(raw)
        if device_type is None:
            errors.append(f"Type “{raw}” is not a device type id (a whole number).")
        else:
            values["type"] = device_type

    changed_since = None
    raw = _first(params, "changed")
    custom = _first(params, "last_status_change_from")
    if raw:
        if raw in CHANGED_PICKS:
            values["changed"] = raw
            changed_since = now - CHANGED_PICKS[raw][1]
        else:
            picks = ", ".join(CHANGED_PICKS)
            errors.append(f"“{raw}” is not a quick pick for status changes: use {picks}.")
    elif custom:
        try:
            changed_since = values["changed_from"] = moments.parse_iso(custom)
        except ValueError as error:
            errors.append(str(error))

    raw = _first(params, "pending").lower()
    pending = False
    if raw in TRUE_WORDS:
        pending = True
    elif raw not in FALSE_WORDS:
        errors.append(f"Pending “{raw}” is not yes or no; showing devices with or without.")

    q = _first(params, "q")
    if len(q) > MAX_SEARCH_LENGTH:
        errors.append(f"The search was cut to its first {MAX_SEARCH_LENGTH} characters.")
        q = q[:MAX_SEARCH_LENGTH]

    sort = _first(params, "sort") or DEFAULT_SORT
    if sort.removeprefix("-") not in SORT_KEYS:
        errors.append(f"Cannot sort by “{sort}”; sorted by name.")
        sort = DEFAULT_SORT

    per_page = DEFAULT_PAGE_SIZE
    raw = _first(params, "per_page")
    if raw:
        size = integers.int_or_none(raw, minimum=1, maximum=max(PAGE_SIZES))
        if size in PAGE_SIZES:
            per_page = size
        else:
            sizes = ", ".join(map(str, PAGE_SIZES))
            errors.append(f"Page size “{raw}” is not offered ({sizes}); showing {per_page}.")

    page = 1
    raw = _first(params, "page")
    if raw:
        number = _positive_int(raw)
        if number is None:
            errors.append(f"Page “{raw}” is not a page number; showing the first page.")
        else:
            page = number

    columns = _columns(params, errors)

    query = DeviceQuery(
        status=status,
        organization=organization,
        type=device_type,
        changed_since=changed_since,
        pending_only=pending,
        search=q,
        sort=sort.removeprefix("-"),
        descending=sort.startswith("-"),
        offset=(page - 1) * per_page,
        limit=per_page,
    )
    return ListFilters(
        query=query,
        status=values.get("status", ""),
        organization=organization,
        type=device_type,
        changed=values.get("changed", ""),
        changed_from=values.get("changed_from"),
        pending=pending,
        q=q,
        sort=sort,
        page=page,
        per_page=per_page,
        columns=columns,
        errors=tuple(errors),
    )


def _columns(params: Mapping, errors: list[str]) -> tuple[str, ...]:
    """The columns asked for: `columns=a,b` (a link) or one `columns` per ticked box (the
    form); none asked for, or none known: every column. An unknown word is named and left
    out."""
    getlist = getattr(params, "getlist", None)
    raw = getlist("columns") if getlist else [params.get("columns", "")]
    words = [w.strip().lower() for value in raw if isinstance(value, str) for w in value.split(",")]
    words = [w for w in words if w]
    unknown = sorted({w for w in words if w not in COLUMN_KEYS})
    if unknown:
        errors.append(
            f"No column is called {', '.join(f'“{w[:40]}”' for w in unknown[:5])}; "
            f"the columns are {', '.join(COLUMN_KEYS)}."
        )
    wanted = {w for w in words if w in COLUMN_KEYS}
    if not wanted:
        return COLUMN_KEYS
    wanted |= ALWAYS_SHOWN
    return tuple(key for key in COLUMN_KEYS if key in wanted)


def describe(filters: ListFilters) -> str:
    """The filter in words, e.g. "all Down devices in organization #5 matching “cpe”"."""
    words = ["all", {"up": "Up", "down": "Down"}.get(filters.status, ""), "devices"]
    if filters.organization is not None:
        words.append(f"in organization #{filters.organization}")
    if filters.type is not None:
        words.append(f"of type #{filters.type}")
    if filters.changed:
        words.append(f"whose status changed in the last {CHANGED_PICKS[filters.changed][0]}")
    elif filters.changed_from is not None:
        words.append(
            f"whose status changed since {filters.changed_from.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        )
    if filters.pending:
        words.append("with pending settings")
    if filters.q:
        words.append(f"matching “{filters.q}”")
    return " ".join(word for word in words if word)


def type_choices(types: Mapping[int, str], selected: int | None) -> list[tuple[int, str]]:
    """The type select's (id, label) options: the cached fleet's types within the user's
    organizations, by name (`list_selectors.device_types`), and a type id from the URL that is
    not among them as "#<id>" (it still filters: the cache may not have seen it yet).
    Empty when `types` is: the page then offers a number box."""
    if not types:
        return []
    choices = list(types.items())
    if selected is not None and selected not in types:
        choices.append((selected, f"#{selected}"))
    return choices


def last_page(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def without_status(query: DeviceQuery) -> DeviceQuery:
    """The same filter over both statuses, one row: for the Up/Down chips' counts."""
    return replace(query, status=None, offset=0, limit=1)
