"""What a device's index memberships derive from, how they are kept in step, and the
indexes derived on demand (a tenant's scope, a search, a built sort).

One `IndexEntry` per device holds the values its memberships derive from, whichever
form the device comes in (a record, or a cache dict), so the rules live in `_entry`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
import redis

from controlapi.records import Device
from fleet.store.current import SnapshotInfo
from fleet.store.keys import Keys
from fleet.store.scripts import scripts
from fleet.store.search_index import LEGACY_BLOCKS
from fleet.store.values import digest, epoch, epoch_of_iso, to_json

# Status sort: Down before Up, then by name. Name scores are ranks (< 2**31), so
# the status offset keeps both orders apart while staying exact in a double.
STATUS_STEP = 2.0**32
# Characters that separate fields and lines in the search buckets.
_SEPARATORS = str.maketrans({"\t": " ", "\n": " ", "\x1f": " ", "\r": " "})
_HAS_SEPARATOR = re.compile("[\t\n\r\x1f]")
_FIELD_SEP = "\x1f"
MAX_SEARCH_LENGTH = 100
# The row fields a built sort reads; a write that changes one of them outdates the built
# indexes (the device's name too: it breaks ties).
BUILT_SORT_FIELDS = (
    "name", "organization_id", "type", "type_short_name", "serial_number", "customer_id",
    "location_name", "software_version",
)  # fmt: skip
# The stored row's field each built sort that reads rows orders by (organization and
# type are ordered from their sets: `BuiltSorts.store_groups`).
BUILT_SORT_READS = {
    "serial": "serial_number",
    "customer_id": "customer_id",
    "location": "location_name",
    "software": "software_version",
}
# A built sort index lives this long after it was last used.
BUILT_SORT_SECONDS = 300
# Whole-fleet orders are read and written this many devices a command: one command over
# a million devices holds Redis, and every page, for seconds.
ORDER_CHUNK = 5000


class IndexEntry(NamedTuple):
    """The values of one device that its index memberships derive from.
    (A tuple: built for every device on every poll, so it must be cheap.)"""

    id: int
    up: bool
    organization_id: int | None
    type_id: int | None
    pending: tuple[str, ...]  # the names of its pending entries (empty: none)
    name_key: tuple[str, int]
    status_change: float
    last_connection: float
    search_text: str
    serial_number: str  # "" when the device has none


def index_entry(device: Device) -> IndexEntry:
    """The index entry of a Device record."""
    pending = device.pending_settings
    return _entry(
        device.id,
        device.status,
        device.organization_id,
        device.type,
        tuple([p.name for p in pending]) if pending else (),
        device.name,
        epoch(device.status_change),
        epoch(device.last_connection),
        device.serial_number,
        device.customer_id,
        device.location_name,
        device.address,
    )


def index_entry_from_cache(row: Mapping[str, Any]) -> IndexEntry:
    """The index entry of a device's cache dict (`Device.to_cache()`, or a stored row
    decoded as JSON): the same entry as `index_entry(Device.from_cache(row))`,
    without building the record, for stored rows. Keys
    missing from an older stored row read as `Device.from_cache` reads them."""
    get = row.get
    pending = get("pending_settings")
    return _entry(
        row["id"],
        get("status"),
        get("organization_id"),
        get("type"),
        tuple([pair[0] for pair in pending]) if pending else (),
        get("name") or "",
        epoch_of_iso(get("status_change")),
        epoch_of_iso(get("last_connection")),
        get("serial_number"),
        get("customer_id"),
        get("location_name"),
        get("address"),
    )


def _entry(
    device_id: int,
    status: str | None,
    organization_id: int | None,
    type_id: int | None,
    pending: tuple[str, ...],
    name: str,
    status_change: float,
    last_connection: float,
    serial_number: str | None,
    customer_id: str | None,
    location_name: str | None,
    address: str | None,
) -> IndexEntry:
    """The one place the index rules live, whichever form the device comes in."""
    present = [f for f in (name, serial_number, customer_id, location_name, address) if f]
    # Separator characters inside a field are rare (and not printable): clean each
    # field only then.
    joined = "".join(present)
    if not joined.isprintable() and _HAS_SEPARATOR.search(joined):
        present = [f.translate(_SEPARATORS) for f in present]
    # tuple.__new__: a full poll builds one per device, and the generated __new__
    # costs about twice as much.
    return tuple.__new__(
        IndexEntry,
        (
            device_id,
            status == "Up",
            organization_id,
            type_id,
            pending,
            # Case-insensitive name order; the id breaks ties so the order is total.
            (name.casefold(), device_id),
            status_change,
            last_connection,
            _FIELD_SEP.join(present).lower(),
            serial_number or "",
        ),
    )


def normalise_search(text: str) -> str:
    """The needle as the text blocks store text: lower case, no separators, trimmed."""
    return text.lower().translate(_SEPARATORS).strip()[:MAX_SEARCH_LENGTH]


_DIGITS = re.compile(r"(\d+)")


@lru_cache(maxsize=4096)
def natural(text: str) -> tuple:
    """A software version's order: digit runs compare as numbers (1.10 after 1.9). Kept
    per text: a fleet runs few versions, and a built sort asks once per device."""
    # split() puts the captured digit runs at odd places; isdigit() would also take "²".
    return tuple(int(p) if i % 2 else p for i, p in enumerate(_DIGITS.split(text.casefold())))


def built_sort_value(sort: str) -> Callable[[int, str | None, str | None], tuple]:
    """The key a built sort orders a device by (its id, name and the sort's field):
    devices with a value first, by it (text case-insensitively; software versions with
    digit runs as numbers), then by name and id; devices without one last."""
    order = natural if sort == "software" else str.casefold

    def key(device_id: int, name: str | None, value: str | None) -> tuple:
        name = (name or "").casefold()
        return (0, order(value), name, device_id) if value else (1, name, device_id)

    return key


def built_sort_fields(row: Mapping[str, Any] | None) -> tuple | None:
    """What the built sorts read of a stored row (None: no row)."""
    return None if row is None else tuple(row.get(f) for f in BUILT_SORT_FIELDS)


# --- cells, pending fields -----------------------------------------------------------


def cell(organization_id: int | None, type_id: int | None, pending: bool, up: bool) -> str:
    """The field of `P fleet:g:cells` counting the devices with these values."""
    org = "" if organization_id is None else organization_id
    kind = "" if type_id is None else type_id
    return f"{org}:{kind}:{1 if pending else 0}:{'u' if up else 'd'}"


def cell_values(field: str) -> tuple[int | None, int | None, bool, bool]:
    """The (organization, type, pending, up) a field made by `cell` counts."""
    org, kind, pending, status = field.split(":")
    return (int(org) if org else None, int(kind) if kind else None, pending == "1",
            status == "u")  # fmt: skip


def cell_of(entry: IndexEntry) -> str:
    return cell(entry.organization_id, entry.type_id, bool(entry.pending), entry.up)


def pending_fields(entry: IndexEntry | None) -> set[str]:
    """The fields of `P triage:pending_seen` for one device's pending entries."""
    if entry is None:
        return set()
    return {f"{entry.id}|{name}" for name in entry.pending}


def status_score(up: bool, name_score: float) -> float:
    return (STATUS_STEP if up else 0.0) + name_score


def status_range(up: bool) -> tuple[str, str]:
    """The scores of one status in the status index (name scores stay within
    ±STATUS_STEP/2, so halfway between the statuses separates them)."""
    middle = repr(STATUS_STEP / 2)
    return (middle, "+inf") if up else ("-inf", f"({middle}")


# --- keeping one device's memberships in step (inside a write's transaction) ---------


def unindex(pipe, k: Keys, g: int, before: IndexEntry | None, after: IndexEntry) -> None:
    """Drop the memberships `before` had that `after` does not keep."""
    if before is None:
        return
    i = str(before.id)
    if before.up != after.up:
        pipe.srem(k.status(g, before.up), i)
    if before.organization_id != after.organization_id and before.organization_id is not None:
        pipe.srem(k.org(g, before.organization_id), i)
    if before.type_id != after.type_id and before.type_id is not None:
        pipe.srem(k.type(g, before.type_id), i)
    if before.pending and not after.pending:
        pipe.srem(k.pending(g), i)


def index(pipe, k: Keys, g: int, entry: IndexEntry, name_score: float) -> None:
    i = str(entry.id)
    pipe.sadd(k.status(g, entry.up), i)
    if entry.organization_id is not None:
        pipe.sadd(k.org(g, entry.organization_id), i)
        pipe.sadd(k.orgs(g), entry.organization_id)
    if entry.type_id is not None:
        pipe.sadd(k.type(g, entry.type_id), i)
        pipe.sadd(k.types(g), entry.type_id)
    if entry.pending:
        pipe.sadd(k.pending(g), i)
    pipe.zadd(k.sort(g, "name"), {i: name_score})
    pipe.zadd(k.sort(g, "status"), {i: status_score(entry.up, name_score)})
    pipe.zadd(k.sort(g, "status_change"), {i: entry.status_change})
    pipe.zadd(k.sort(g, "last_connection"), {i: entry.last_connection})


def move_cell(pipe, k: Keys, g: int, before: IndexEntry | None, after: IndexEntry | None):
    """Keep the cell counts in step with one rewritten, added or removed device."""
    was = None if before is None else cell_of(before)
    now = None if after is None else cell_of(after)
    if was == now:
        return
    if was is not None:
        pipe.hincrby(k.cells(g), was, -1)
    if now is not None:
        pipe.hincrby(k.cells(g), now, 1)


def track_serial(pipe, k: Keys, g: int, before: IndexEntry | None, after: IndexEntry | None):
    """Keep the serial index in step with one rewritten or removed device."""
    if (
        before is not None
        and before.serial_number
        and (after is None or after.serial_number != before.serial_number)
    ):
        pipe.hdel(k.serials(g), before.serial_number)
    if after is not None and after.serial_number:
        pipe.hset(k.serials(g), after.serial_number, after.id)


def track_pending(pipe, k: Keys, before: IndexEntry | None, after: IndexEntry | None, seen_at):
    """Keep the first-seen times of one rewritten device's pending entries: new
    entries start now (HSETNX keeps an older time), cleared ones are dropped."""
    kept = pending_fields(after)
    cleared = pending_fields(before) - kept
    if cleared:
        pipe.hdel(k.pending_seen, *cleared)
    for name in kept:
        pipe.hsetnx(k.pending_seen, name, seen_at.timestamp())


# --- indexes derived on demand --------------------------------------------------------


def scope_key(k: Keys, info: SnapshotInfo, org_ids: Sequence[int]) -> str:
    """The set of the devices of `org_ids` (ascending): one organization's own set, or
    the union `Derived.scope` builds."""
    if len(org_ids) == 1:
        return k.org(info.generation, org_ids[0])
    return k.scope(info.generation, info.version, org_ids)


def built_sort_key(k: Keys, info: SnapshotInfo, sort: str, order: tuple[int, ...]) -> str:
    """The name of a built sort's index. An in-place write that changes a field it
    reads bumps the sort version, which names a new index (the old one just expires)."""
    return k.built_sort(
        info.generation, info.sort_version, sort, digest(to_json(order)) if order else ""
    )


class Derived:
    """The indexes a query derives from a generation's and keeps a while: a tenant's
    scope, a search's matches, and the built sorts."""

    def __init__(self, client: redis.Redis, keys: Keys, result_ttl_ms: int):
        self.client = client
        self.keys = keys
        self.result_ttl_ms = result_ttl_ms
        self.scripts = scripts(client)

    def scope(self, info: SnapshotInfo, org_ids: Iterable[int]) -> str:
        """The set of the devices of `org_ids`: one organization's own set, or their
        union, built once per snapshot version."""
        ids = sorted(org_ids)
        dest = scope_key(self.keys, info, ids)
        if len(ids) > 1:
            members = [self.keys.org(info.generation, o) for o in ids]
            self.scripts.call("union", [dest, *members], {"ttl": self.result_ttl_ms})
        return dest

    def search(self, info: SnapshotInfo, needle: str) -> str:
        """The set of the devices whose search text holds `needle` (normalised): the
        trigram index's candidate blocks, verified against their text
        (fleet.store.search_index)."""
        g, k = info.generation, self.keys
        dest = k.search(g, info.version, digest(needle))
        self.scripts.call(
            "search",
            [dest, k.grams(g), k.blocks(g)],
            {"needle": needle, "ttl": self.result_ttl_ms, "texts": k.text(g, ""),
             "legacy_blocks": LEGACY_BLOCKS},
        )  # fmt: skip
        return dest

    def keep_built_sort(self, key: str) -> bool:
        """Extend a built sort's life; False when it is not there (to be built)."""
        return bool(self.client.expire(key, BUILT_SORT_SECONDS))

    def store_row_order(self, info: SnapshotInfo, sort: str, key: str) -> None:
        """Build the index of a sort that reads a row field (BUILT_SORT_READS), with the
        ids scored by their rank in that order."""
        k, g = self.keys, info.generation
        value_of = built_sort_value(sort)
        ranked: dict[int, tuple] = {}
        cursor = "0"
        fields = ["name", BUILT_SORT_READS[sort]]
        while True:
            # In chunks: Redis is never blocked for the whole fleet's rows.
            reply = self.scripts.call(
                "row_fields", [k.dev(g)], {"cursor": cursor, "count": 2000, "fields": fields}
            )
            cursor = reply[0].decode() if isinstance(reply[0], bytes) else str(reply[0])
            for at in range(1, len(reply), 3):
                device_id = int(reply[at])
                name, value = orjson.loads(reply[at + 1]), orjson.loads(reply[at + 2])
                ranked[device_id] = value_of(device_id, name, value)
            if cursor == "0":
                break
        self._store_order(key, sorted(ranked, key=ranked.__getitem__))

    def organization_groups(self, info: SnapshotInfo, order: tuple[int, ...]) -> list[str]:
        """The organizations' sets present, in `order`, then the others by id."""
        g, k = info.generation, self.keys
        rank = {org: n for n, org in enumerate(order)}
        present = (int(o) for o in self.client.smembers(k.orgs(g)))
        return [k.org(g, o) for o in sorted(present, key=lambda o: (rank.get(o, len(rank)), o))]

    def store_groups(self, info: SnapshotInfo, groups: list[str], key: str) -> None:
        """The order of the sets `groups` (organizations or types): the groups in order,
        each in name order, then the devices in none. Built here from the name index and
        the groups' members, read and written ORDER_CHUNK devices a command.

        ASSUMPTION: a device renamed while this runs keeps the place of the name it had
        when its chunk was read (a rename gives the sort a new version, and so a new
        index, on the next page anyway)."""
        g, k = info.generation, self.keys
        group_of: dict[bytes, int] = {}
        for n, group in enumerate(groups):
            for member in self.client.sscan_iter(group, count=ORDER_CHUNK):
                group_of[member] = n
        in_group: list[list[bytes]] = [[] for _ in range(len(groups) + 1)]
        placed: set[bytes] = set()
        for start in range(0, self.client.zcard(k.sort(g, "name")), ORDER_CHUNK):
            for member in self.client.zrange(k.sort(g, "name"), start, start + ORDER_CHUNK - 1):
                if member not in placed:
                    placed.add(member)
                    in_group[group_of.get(member, len(groups))].append(member)
        for member, n in group_of.items():  # not in the name index yet: last of its group
            if member not in placed:
                in_group[n].append(member)
        self._store_order(key, [int(m) for members in in_group for m in members])

    def _store_order(self, key: str, ids: Sequence[int]) -> None:
        """Write `ids` as the index `key`, each scored by its rank, ORDER_CHUNK a command
        into a key of its own that then replaces `key` at once: no reader pages half of it."""
        building = f"{key}:building:{secrets.token_hex(4)}"
        for start in range(0, len(ids), ORDER_CHUNK):
            chunk = ",".join(map(str, ids[start : start + ORDER_CHUNK]))
            # A builder that dies leaves nothing: the key expires.
            self.scripts.call(
                "store_order", [building], {"ids": chunk, "start": start, "ttl": BUILT_SORT_SECONDS}
            )
        if not ids:
            return
        with self.client.pipeline() as pipe:
            pipe.rename(building, key)
            pipe.expire(key, BUILT_SORT_SECONDS)
            pipe.execute()
