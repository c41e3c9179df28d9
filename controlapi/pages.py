"""One page of a limit/offset list, and how to read the links between pages.

The upstream writes `next`/`previous` as absolute URLs on its own public host
(https://control.zequenze.com), even when the client talks to a proxy or the
simulator. Only the query string of a link is used; its scheme, host and path
are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import parse_qsl, urlsplit

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    count: int
    items: tuple[T, ...]
    next_offset: int | None = None
    previous_offset: int | None = None
    # The query string of the `next` link, which the page iterator follows as is.
    next_query: tuple[tuple[str, str], ...] | None = field(default=None, repr=False)
    # Records of the page left out of `items` because they could not be read or stored
    # (controlapi.records.UnstorableDevice; only the device-cache reader sets them).
    set_aside: tuple = ()

    @property
    def has_next(self) -> bool:
        return self.next_query is not None

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def link_query(link: object) -> tuple[tuple[str, str], ...] | None:
    """The query parameters of a `next`/`previous` link, or None for no link."""
    if not isinstance(link, str) or not link.strip():
        return None
    return tuple(parse_qsl(urlsplit(link).query, keep_blank_values=True))


def _offset(query: tuple[tuple[str, str], ...] | None) -> int | None:
    if query is None:
        return None
    for key, value in query:
        if key == "offset":
            try:
                return max(int(value), 0)
            except ValueError:
                return None
    # Django REST framework drops `offset` from the link to the first page.
    return 0


def page_from_payload(payload: object, parse_item: Callable[[Mapping], T]) -> Page[T]:
    """Build a Page from a list answer. Raises ValueError when it is not a list answer.

    `count` falls back to the number of items when the upstream leaves it out;
    `next`/`previous` may be absent (the headless-operation list has neither).
    """
    if not isinstance(payload, Mapping) or not isinstance(payload.get("results"), list):
        raise ValueError("a list answer must be an object with a `results` list")
    items = tuple(parse_item(raw) for raw in payload["results"])
    count = payload.get("count")
    if not isinstance(count, int) or isinstance(count, bool):
        count = len(items)
    next_query = link_query(payload.get("next"))
    return Page(
        count=count,
        items=items,
        next_offset=_offset(next_query),
        previous_offset=_offset(link_query(payload.get("previous"))),
        next_query=next_query,
    )
