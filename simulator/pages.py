"""limit/offset pages with absolute next/previous links on the production host."""

from urllib.parse import parse_qsl, urlencode

from simulator.params import parse_int

# The links name the upstream's public host, not the host the client talked to:
# clients must follow the query string, not the host (see docs/CONTROL_API.md).
PUBLIC_ORIGIN = "https://control.zequenze.com"


def page_window(query: dict[str, str], default_limit: int, max_limit: int) -> tuple[int, int]:
    """(limit, offset). A limit above the maximum is clamped to it (assumption)."""
    limit = parse_int("limit", query.get("limit"), minimum=1)
    offset = parse_int("offset", query.get("offset"), minimum=0) or 0
    limit = min(limit or default_limit, max_limit)
    return limit, offset


def _link(path: str, query_string: str, limit: int, offset: int | None) -> str:
    pairs = [(k, v) for k, v in parse_qsl(query_string, keep_blank_values=True)]
    replaced = []
    seen = set()
    for key, value in pairs:
        if key in seen and key in ("limit", "offset"):
            continue
        if key == "limit":
            value = str(limit)
        elif key == "offset":
            if offset is None:
                continue
            value = str(offset)
        seen.add(key)
        replaced.append((key, value))
    if "limit" not in seen:
        replaced.append(("limit", str(limit)))
    if "offset" not in seen and offset is not None:
        replaced.append(("offset", str(offset)))
    return f"{PUBLIC_ORIGIN}{path}?{urlencode(replaced)}"


def page(items: list, count: int, path: str, query_string: str, limit: int, offset: int) -> dict:
    """Wrap one page; `items` are the page's results, `count` the filtered total."""
    next_url = _link(path, query_string, limit, offset + limit) if offset + limit < count else None
    previous_url = None
    if offset > 0:
        previous_offset = offset - limit
        # Like DRF, the first page's link carries no offset at all.
        previous_url = _link(
            path, query_string, limit, previous_offset if previous_offset > 0 else None
        )
    return {"count": count, "next": next_url, "previous": previous_url, "results": items}
