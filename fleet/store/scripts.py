"""The Lua scripts of the fleet store (fleet/lua/*.lua), read once and registered once
per Redis client.

Scripts, because each must either be atomic (build a cached result and its counts
together, so no reader sees one without the other) or touch many values without a
network round trip per value (the search, the postings it reads). Key names come in as KEYS from the
store, which alone knows the layout; every other argument comes as one JSON object
(`call`), read by the script as `a` (`local a = cjson.decode(ARGV[1])`).

ASSUMPTION: a single Redis (or a primary with replicas), not Redis Cluster: the
search reads text block keys it names from a prefix.
"""

from __future__ import annotations

import weakref
from importlib import resources
from typing import Any

import orjson
import redis


def _source(name: str) -> str:
    return (resources.files("fleet") / "lua" / f"{name}.lua").read_text(encoding="utf-8")


# The page scripts share their argument handling, and the filtered ones their keys
# and counts: these go before each of them.
_PAGE_COMMON = _source("page_common")
_PAGE_COUNTS = _PAGE_COMMON + _source("page_counts")
SOURCES = {
    **{name: _PAGE_COMMON + _source(name) for name in ("page_index", "page_range")},
    **{
        name: _PAGE_COUNTS + _source(name)
        for name in ("page_cached", "page_walk", "page_materialise")
    },
    **{
        name: _source(name)
        for name in ("union", "search", "search_post", "row_fields", "store_order")
    },
}


class Scripts:
    """The scripts registered with one client (EVALSHA, loading the script when Redis
    does not have it yet)."""

    def __init__(self, client: redis.Redis):
        self.by_name = {name: client.register_script(source) for name, source in SOURCES.items()}

    def call(self, name: str, keys: list[str], args: dict[str, Any]) -> Any:
        """Run script `name` with its named arguments `args`."""
        return self.by_name[name](keys=keys, args=[orjson.dumps(args)])

    def queue(self, pipe, name: str, keys: list[str], args: dict[str, Any]) -> None:
        """Queue script `name` in a pipeline (inside its transaction, if it has one)."""
        self.by_name[name](keys=keys, args=[orjson.dumps(args)], client=pipe)


# Per client, so that each script's digest is computed once, not per read model.
_registered: weakref.WeakKeyDictionary[redis.Redis, Scripts] = weakref.WeakKeyDictionary()


def scripts(client: redis.Redis) -> Scripts:
    found = _registered.get(client)
    if found is None:
        found = _registered[client] = Scripts(client)
    return found
