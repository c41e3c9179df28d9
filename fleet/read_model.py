"""The fleet read model in Redis: the one module that knows its key layout.

Pages read the fleet from here; only the pollers (fleet.polling) write it. It
holds the device snapshot with its indexes, the connection-profile snapshot, the
pollers' health and the status history. Everything takes a Redis client and a
key prefix, so tests (and several dashboards on one Redis) stay apart.

Snapshots and generations. A full poll writes a whole new *generation* of keys
while readers keep using the current one, then switches one pointer (the hash
`fleet:current`) in a single command: a reader resolves the pointer once per
query and so sees the whole previous fleet or the whole new one, never a mix.
The old generation is deleted after a grace period, longer than any query.
Incremental polls and "refresh now" update devices in place in the current
generation, each batch in one MULTI/EXEC, and bump the generation's `version`,
which is part of every cached query result's key.

Key layout (P = prefix, g = generation):

    P fleet:seq                  counter of generations
    P fleet:current              hash: gen, version, as_of, full_as_of, devices, sortver
    P fleet:gc                   zset gen -> time after which it may be deleted
    P fleet:g:dev                hash id -> device JSON (Device.to_cache), stored once
    P fleet:g:fresh              hash id -> time a device was last refreshed alone
    P fleet:g:sort:<key>         zset of ids per sort key (name, status, changed, seen)
    P fleet:g:sorted:<v>:<key>   zset of ids by rank in a built sort (BUILT_SORTS), v the
                                 sort version (`fleet:current` "sortver"); kept
                                 BUILT_SORT_SECONDS after its last use
    P fleet:g:up / :down         set of ids per status
    P fleet:g:org:<id> / :type:<id> / :pending   sets of ids per filter value
    P fleet:g:orgs / :types      the organization and type ids present
    P fleet:g:cells              hash "<org>:<type>:<pending 0|1>:<u|d>" -> devices in
                                 that cell (org/type "" when none), and "ready" -> 1;
                                 the exact counts of filters on these fields only
    P fleet:g:serial             hash serial number -> id (exact, case-sensitive)
    P fleet:g:text:<n>           search-text bucket n: lines "text<TAB>id<LF>"
    P fleet:g:q:<version>:...    cached query results and their counts (short TTL)
    P triage:pending_seen        hash "<id>|<entry name>" -> when a poll first saw that
                                 pending entry (across generations; see "Pending age")
    P health:<poll>              hash: the poll's health for the operations panel
    P health:<poll>:failures     hash reason -> failed attempts (fleet.poll_failures)
    P profiles                   string: the profile snapshot as one JSON document
    P hist:transitions           stream of status transitions (the fleet timeline)
    P hist:device:<id>           zset of one device's transitions
    P hist:orgs                  set of organization ids with a counts series
    P hist:org:<id> / :all       stream of Up/Down counts per poll
    P flight:device:<id>...      single-flight lock and result of one device fetch
    P refresh:<token>            how one "Refresh" press ended (devices.refresh_requests)
    P detail:device:<id>         string: the last detail record read of one device and
                                 when (across generations; polls store the list shape,
                                 which lacks the detail-only fields; KEPT_DETAIL_TTL)
    P detail:profile:<id>        string: the last record a page read of one connection
                                 profile from the upstream and when (KEPT_DETAIL_TTL)
    P lock:<poll>                the lock that keeps polls from overlapping

Indexes hold device ids only (the JSON lives once in the device hash), so a
filter or a sort never copies device data around.

Pending age. The upstream says what is pending, not since when. ASSUMPTION: an
entry's age counts from the first poll (or refresh) that saw it. Every write
keeps `triage:pending_seen` in step: a full poll adds the entries it saw for the
first time and drops every other entry it did not see; an in-place write adds
and drops the entries of the devices it rewrites; a removal drops the device's.
(The key keeps the name the triage board gave it when it kept the hash itself,
so first-seen times written then carry over.)
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
import redis

from controlapi.records import (
    CacheRow,
    Device,
    Profile,
    UnstorableDevice,
    decode_device,
    encode_device,
    storable_row,
)
from fleet import read_model_lua

# Sorts kept as a sorted index per generation, written by every poll.
_SORT_INDEX = {
    "name": "name",
    "status": "status",
    "status_change": "changed",
    "last_connection": "seen",
}
INDEXED_SORTS = tuple(_SORT_INDEX)
# Sorts whose index is built from the stored rows when first asked and kept a while
# (`ReadModel._built_sort`): an index per key on every poll would cost ~96 bytes per
# device each, past the memory target (docs/PERFORMANCE.md, "Memory").
BUILT_SORTS = ("organization", "type", "serial", "customer_id", "location", "software")
SORT_KEYS = INDEXED_SORTS + BUILT_SORTS
# The row fields a built sort reads; a write that changes one of them outdates the built
# indexes (the device's name too: it breaks ties).
_BUILT_SORT_FIELDS = (
    "name", "organization_id", "type", "type_short_name", "serial_number", "customer_id",
    "location_name", "software_version",
)  # fmt: skip
# A built sort index lives this long after it was last used.
BUILT_SORT_SECONDS = 300
# Search text lives in this many buckets (by id), so updating one device in place
# rewrites one small string, not the whole fleet's.
SEARCH_BUCKETS = 256
# Status sort: Down before Up, then by name. Name scores are ranks (< 2**31), so
# the status offset keeps both orders apart while staying exact in a double.
_STATUS_STEP = 2.0**32
# A device that never connected or never changed status sorts as the oldest.
_NO_TIME = -1.0
# Characters that separate fields and lines in the search buckets.
_SEPARATORS = str.maketrans({"\t": " ", "\n": " ", "\x1f": " ", "\r": " "})
_HAS_SEPARATOR = re.compile("[\t\n\r\x1f]")
_FIELD_SEP = "\x1f"
MAX_SEARCH_LENGTH = 100
# A filtered page walks at most this many devices of the sort index before the
# query materialises the intersection instead (a filter matching few devices).
SCAN_BUDGET = 5_000
MAX_PAGE_SIZE = 500
# Flapping (issue #4): 3 or more status transitions in the last hour. The one
# definition; the selectors and the triage board use these defaults.
FLAP_MIN_TRANSITIONS = 3
FLAP_WINDOW = timedelta(hours=1)
# How long the last detail record read of a device is kept for pages to fall back on.
KEPT_DETAIL_TTL = timedelta(days=7)
# How many set-aside records the poll health names (the rest are counted).
SET_ASIDE_NAMED = 20


def _json(data: Any) -> bytes:
    # orjson: the standard encoder was a fifth of the time to ingest 100,000 devices.
    return orjson.dumps(data)


def cache_row(fields: dict[str, Any]) -> CacheRow:
    """A cache dict as `write_page` takes devices: the dict, and its JSON."""
    return CacheRow(fields, encode_device(fields))


def _device(row: bytes) -> Device:
    return decode_device(row)


def _digest(text: str | bytes) -> str:
    """A short stable name for a cached result (not a security measure)."""
    data = text.encode() if isinstance(text, str) else text
    return hashlib.blake2b(data, digest_size=10).hexdigest()


def _epoch(moment: datetime | None) -> float:
    return _NO_TIME if moment is None else moment.timestamp()


def _from_epoch(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(float(value), tz=UTC)


def _text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else value


# --- what the indexes need of one device -------------------------------------------


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
        _epoch(device.status_change),
        _epoch(device.last_connection),
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
        _epoch_of_iso(get("status_change")),
        _epoch_of_iso(get("last_connection")),
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
    # costs twice as much.
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


_DIGITS = re.compile(r"(\d+)")


@lru_cache(maxsize=4096)
def _natural(text: str) -> tuple:
    """A software version's order: digit runs compare as numbers (1.10 after 1.9). Kept
    per text: a fleet runs few versions, and a built sort asks once per device."""
    # split() puts the captured digit runs at odd places; isdigit() would also take "²".
    return tuple(int(p) if i % 2 else p for i, p in enumerate(_DIGITS.split(text.casefold())))


# The stored row's field each built sort that reads rows orders by (organization and
# type are ordered from their sets: `ReadModel._store_group_order`).
_BUILT_SORT_READS = {
    "serial": "serial_number",
    "customer_id": "customer_id",
    "location": "location_name",
    "software": "software_version",
}


def _built_sort_value(sort: str) -> Callable[[int, str | None, str | None], tuple]:
    """The key a built sort orders a device by (its id, name and the sort's field):
    devices with a value first, by it (text case-insensitively; software versions with
    digit runs as numbers), then by name and id; devices without one last."""
    order = _natural if sort == "software" else str.casefold

    def key(device_id: int, name: str | None, value: str | None) -> tuple:
        name = (name or "").casefold()
        return (0, order(value), name, device_id) if value else (1, name, device_id)

    return key


def _epoch_of_iso(text: str | None) -> float:
    return _NO_TIME if text is None else datetime.fromisoformat(text).timestamp()


def normalise_search(text: str) -> str:
    """The needle as the search buckets store text: lower case, no separators, trimmed."""
    return text.lower().translate(_SEPARATORS).strip()[:MAX_SEARCH_LENGTH]


# --- queries and their answers -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceQuery:
    """A list query: every upstream filter, text search, a sort and a page."""

    status: bool | None = None  # True: Up, False: Down
    organization: int | None = None
    type: int | None = None
    changed_since: datetime | None = None
    pending_only: bool = False
    search: str = ""
    sort: str = "name"
    descending: bool = False
    offset: int = 0
    limit: int = 50
    # The organization sort's order of organization ids (their names are the
    # dashboard's); organizations not listed follow, by id.
    organization_order: tuple[int, ...] = ()

    def __post_init__(self):
        if self.sort not in SORT_KEYS:
            raise ValueError(f"unknown sort {self.sort!r}; expected one of {', '.join(SORT_KEYS)}")
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise ValueError(f"page size must be between 1 and {MAX_PAGE_SIZE}")
        if self.offset < 0:
            raise ValueError("offset must not be negative")
        if self.changed_since is not None and self.changed_since.tzinfo is None:
            raise ValueError("changed_since must be timezone-aware")


@dataclass(frozen=True, slots=True)
class DevicePage:
    items: list[Device]
    total: int
    counts: dict[str, int]
    as_of: datetime | None  # None: no snapshot yet


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    generation: int
    version: int
    as_of: datetime  # the fleet's status is at least this recent
    full_as_of: datetime  # start of the full poll that built the generation
    devices: int
    # Bumped by in-place writes that change what a built sort reads (names the built
    # sort indexes, so an outdated one is never read again).
    sort_version: int = 0


@dataclass(frozen=True, slots=True)
class ProfileSnapshot:
    items: list[Profile]
    as_of: datetime


@dataclass(frozen=True, slots=True)
class CachedDevice:
    device: Device
    as_of: datetime


@dataclass(frozen=True, slots=True)
class KeptProfile:
    profile: Profile
    as_of: datetime  # when it was read from the upstream


class FirmwareSeen(NamedTuple):
    """A firmware image that cached devices report: its id, the software version those
    that have installed it run (None when unknown) and how many devices report it."""

    image: int
    version: str | None
    devices: int


@dataclass(frozen=True, slots=True)
class Transition:
    device_id: int
    organization_id: int | None
    from_status: str
    to_status: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Flapper:
    device_id: int
    organization_id: int | None
    transitions: int


@dataclass(frozen=True, slots=True)
class CountPoint:
    at: datetime
    up: int
    down: int


@dataclass(frozen=True, slots=True)
class PollHealth:
    """What the operations panel shows about one poller."""

    last_attempt: datetime | None = None
    last_success: datetime | None = None
    duration: float | None = None  # seconds, of the last finished attempt
    devices: int | None = None
    pages: int | None = None
    failures: int = 0  # consecutive failed attempts since the last success
    failures_total: int = 0
    last_error: str | None = None
    mode: str | None = None  # "full" or "incremental" (fleet), "full" (profiles)
    running_since: datetime | None = None
    # Records the polls left out because they could not be stored: (device id or None,
    # why), the last full poll's and those of the incremental polls since, at most
    # SET_ASIDE_NAMED of them; `set_aside_total` counts them all.
    set_aside: tuple[tuple[int | None, str], ...] = ()
    set_aside_total: int = 0


class InPlaceWrite(NamedTuple):
    """What `ReadModel.update_devices` did: the status transitions it observed, and the
    devices it could not store (left as they were)."""

    transitions: list[Transition]
    set_aside: tuple[UnstorableDevice, ...] = ()


@dataclass(frozen=True, slots=True)
class PublishedSnapshot:
    generation: int
    devices: int
    organizations: frozenset[int]
    transitions: list[Transition]
    org_counts: dict[int, tuple[int, int]]


# --- the model ------------------------------------------------------------------


class Keys:
    """Key names. Every key the read model uses is spelled here and nowhere else."""

    def __init__(self, prefix: str):
        self.p = prefix
        self.seq = f"{prefix}fleet:seq"
        self.current = f"{prefix}fleet:current"
        self.gc = f"{prefix}fleet:gc"
        self.profiles = f"{prefix}profiles"
        self.transitions = f"{prefix}hist:transitions"
        self.history_orgs = f"{prefix}hist:orgs"
        self.pending_seen = f"{prefix}triage:pending_seen"

    def gen(self, g: int, name: str) -> str:
        return f"{self.p}fleet:{g}:{name}"

    def dev(self, g: int) -> str:
        return self.gen(g, "dev")

    def fresh(self, g: int) -> str:
        return self.gen(g, "fresh")

    def sort(self, g: int, sort: str) -> str:
        return self.gen(g, f"sort:{_SORT_INDEX[sort]}")

    def built_sort(self, g: int, sort_version: int, sort: str, order: str = "") -> str:
        return self.gen(g, f"sorted:{sort_version}:{sort}{':' + order if order else ''}")

    def status(self, g: int, up: bool) -> str:
        return self.gen(g, "up" if up else "down")

    def org(self, g: int, org_id: int) -> str:
        return self.gen(g, f"org:{org_id}")

    def type(self, g: int, type_id: int) -> str:
        return self.gen(g, f"type:{type_id}")

    def pending(self, g: int) -> str:
        return self.gen(g, "pending")

    def orgs(self, g: int) -> str:
        return self.gen(g, "orgs")

    def cells(self, g: int) -> str:
        return self.gen(g, "cells")

    def types(self, g: int) -> str:
        return self.gen(g, "types")

    def serials(self, g: int) -> str:
        return self.gen(g, "serial")

    def text(self, g: int, bucket: int) -> str:
        return self.gen(g, f"text:{bucket}")

    def texts(self, g: int) -> list[str]:
        return [self.text(g, b) for b in range(SEARCH_BUCKETS)]

    def query(self, g: int, version: int, what: str) -> str:
        return self.gen(g, f"q:{version}:{what}")

    def health(self, poll: str) -> str:
        return f"{self.p}health:{poll}"

    def failure_kinds(self, poll: str) -> str:
        return f"{self.p}health:{poll}:failures"

    def device_history(self, device_id: int) -> str:
        return f"{self.p}hist:device:{device_id}"

    def org_history(self, org_id: int | str) -> str:
        return f"{self.p}hist:org:{org_id}"

    def flight_lock(self, device_id: int) -> str:
        return f"{self.p}flight:device:{device_id}"

    def flight_result(self, device_id: int, token: str) -> str:
        return f"{self.p}flight:device:{device_id}:{token}"

    def refresh_request(self, token: str) -> str:
        return f"{self.p}refresh:{token}"

    def kept_detail(self, device_id: int) -> str:
        return f"{self.p}detail:device:{device_id}"

    def kept_profile(self, profile_id: int) -> str:
        return f"{self.p}detail:profile:{profile_id}"

    def poll_lock(self, poll: str) -> str:
        return f"{self.p}lock:{poll}"

    def fixed_of_generation(self, g: int) -> list[str]:
        return [
            self.dev(g),
            self.fresh(g),
            *(self.sort(g, s) for s in INDEXED_SORTS),
            self.status(g, True),
            self.status(g, False),
            self.pending(g),
            self.orgs(g),
            self.types(g),
            self.cells(g),
            self.serials(g),
            *self.texts(g),
        ]


def _bucket(device_id: int) -> int:
    return device_id % SEARCH_BUCKETS


def _line(entry: IndexEntry) -> str:
    return f"{entry.search_text}\t{entry.id}\n"


def _cell(organization_id: int | None, type_id: int | None, pending: bool, up: bool) -> str:
    """The field of `P fleet:g:cells` counting the devices with these values."""
    org = "" if organization_id is None else organization_id
    kind = "" if type_id is None else type_id
    return f"{org}:{kind}:{1 if pending else 0}:{'u' if up else 'd'}"


def _cell_of(entry: IndexEntry) -> str:
    return _cell(entry.organization_id, entry.type_id, bool(entry.pending), entry.up)


def _pending_fields(entry: IndexEntry | None) -> set[str]:
    """The fields of `P triage:pending_seen` for one device's pending entries."""
    if entry is None:
        return set()
    return {f"{entry.id}|{name}" for name in entry.pending}


class ReadModel:
    """The fleet read model over one Redis client and key prefix.

    `grace` is how long a replaced generation stays readable; `result_ttl` how
    long a cached query result lives (a new generation or version makes new keys
    anyway, so this only bounds memory); `history` how far back history reaches.
    """

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        *,
        grace: timedelta = timedelta(seconds=120),
        result_ttl: timedelta = timedelta(seconds=60),
        history: timedelta = timedelta(days=7),
    ):
        self.client = client
        self.keys = Keys(prefix)
        self.grace = grace
        self.result_ttl_ms = int(result_ttl.total_seconds() * 1000)
        self.history = history
        self._page = client.register_script(read_model_lua.PAGE)
        self._union = client.register_script(read_model_lua.UNION)
        self._search = client.register_script(read_model_lua.SEARCH)
        self._row_fields = client.register_script(read_model_lua.ROW_FIELDS)
        self._store_order = client.register_script(read_model_lua.STORE_ORDER)

    # --- the current snapshot ------------------------------------------------------

    def snapshot_info(self, client=None) -> SnapshotInfo | None:
        raw = (client or self.client).hgetall(self.keys.current)
        if not raw:
            return None
        values = {k.decode(): v.decode() for k, v in raw.items()}
        return SnapshotInfo(
            generation=int(values["gen"]),
            version=int(values.get("version", 0)),
            as_of=_from_epoch(values["as_of"]),
            full_as_of=_from_epoch(values.get("full_as_of", values["as_of"])),
            devices=int(values.get("devices", 0)),
            sort_version=int(values.get("sortver", 0)),
        )

    def new_snapshot(self, started_at: datetime, *, abandon_after: timedelta) -> SnapshotBuilder:
        """Start writing a new generation; nothing is visible until `publish()`.

        The generation is registered for deletion `abandon_after` from now, so one
        left half-written by a killed worker is cleaned up by a later poll.
        """
        generation = int(self.client.incr(self.keys.seq))
        deadline = started_at + abandon_after
        self.client.zadd(self.keys.gc, {str(generation): deadline.timestamp()})
        return SnapshotBuilder(self, generation, started_at)

    def collect_garbage(self, now: datetime) -> int:
        """Delete generations whose grace period is over; returns how many."""
        due = self.client.zrangebyscore(self.keys.gc, "-inf", now.timestamp())
        info = self.snapshot_info()
        deleted = 0
        for raw in due:
            generation = int(raw)
            if info is None or generation != info.generation:
                self.delete_generation(generation)
                deleted += 1
            self.client.zrem(self.keys.gc, raw)
        return deleted

    def delete_generation(self, generation: int) -> None:
        k = self.keys
        orgs = self.client.smembers(k.orgs(generation))
        types = self.client.smembers(k.types(generation))
        doomed = k.fixed_of_generation(generation)
        doomed += [k.org(generation, int(o)) for o in orgs]
        doomed += [k.type(generation, int(t)) for t in types]
        # UNLINK frees the memory in the background: a 100k-device hash must not
        # stall the readers of the new generation.
        for start in range(0, len(doomed), 500):
            self.client.unlink(*doomed[start : start + 500])

    # --- reads ---------------------------------------------------------------------

    def query(
        self, q: DeviceQuery, org_ids: frozenset[int] | None, *, info: SnapshotInfo | None = None
    ) -> DevicePage:
        """One page of devices matching `q`, within the organizations `org_ids`
        (None: all). The scope is one more filter inside the query. `info`: the snapshot
        to read, as the caller already read it (a page's reads then share one round
        trip); by default the current one."""
        info = info or self.snapshot_info()
        if info is None:
            return DevicePage(items=[], total=0, counts={"up": 0, "down": 0}, as_of=None)
        g, k = info.generation, self.keys
        empty = DevicePage(items=[], total=0, counts={"up": 0, "down": 0}, as_of=info.as_of)

        filters: list[str] = []
        if org_ids is not None:
            allowed = org_ids if q.organization is None else org_ids & {q.organization}
            if not allowed:
                return empty
            filters.append(self._organizations_key(info, allowed))
        elif q.organization is not None:
            filters.append(k.org(g, q.organization))
        if q.status is not None:
            filters.append(k.status(g, q.status))
        if q.type is not None:
            filters.append(k.type(g, q.type))
        if q.pending_only:
            filters.append(k.pending(g))
        needle = normalise_search(q.search)
        if needle:
            filters.append(self._search_key(info, needle))
        since = ""
        if q.changed_since is not None:
            # The window is the last filter; the page's script derives it when needed.
            since = repr(q.changed_since.timestamp())
            filters.append(k.query(g, info.version, f"since:{since}"))

        sort_key = k.sort(g, q.sort) if q.sort in _SORT_INDEX else self._built_sort(info, q)
        known = "" if q.status is None else ("up" if q.status else "down")
        low, high = "-inf", "+inf"
        if filters:
            mode = "1"
            digest = _digest(_json([sort_key, sorted(filters)]))
            result = k.query(g, info.version, f"r:{digest}")
        else:
            mode, result = "0", sort_key
        if q.sort in ("name", "status") and filters == [k.status(g, bool(q.status))]:
            # One status in name order is a score range of the status index:
            # log n + page, nothing to intersect (the commonest NOC view).
            mode, sort_key = "2", k.sort(g, "status")
            low, high = _status_range(q.status)
        # Walking the sort index needs plain sets (SMISMEMBER): not the changed-since
        # window (a sorted set) nor a fresh search result.
        plain = not needle and q.changed_since is None
        budget = SCAN_BUDGET if plain else 0
        # Filters on organization, status, type and pending only: the counts are
        # sums of cells (no set operation over the matching devices).
        orgs, kind, pending = "", "*", "*"
        if plain:
            if org_ids is not None:
                orgs = ",".join(map(str, sorted(allowed)))
            else:
                orgs = "*" if q.organization is None else str(q.organization)
            kind = "*" if q.type is None else str(q.type)
            pending = "1" if q.pending_only else "*"
        total, up, down, ids, rows = self._page(
            keys=[result, result + ":n", k.dev(g), k.status(g, True), k.status(g, False),
                  sort_key, k.cells(g), k.sort(g, "status_change"),
                  *([] if mode == "2" else filters)],
            args=[mode, self.result_ttl_ms, q.offset, q.offset + q.limit - 1,
                  1 if q.descending else 0, known, low, high, budget, orgs, kind, pending,
                  since],
        )  # fmt: skip
        items = [_device(row) for row in rows if row]
        return DevicePage(
            items=items,
            total=int(total),
            counts={"up": int(up), "down": int(down)},
            as_of=info.as_of,
        )

    def _built_sort(self, info: SnapshotInfo, q: DeviceQuery) -> str:
        """The sorted index of a sort in BUILT_SORTS: ids scored by their rank in that
        order, built from the generation's rows on first use and kept BUILT_SORT_SECONDS
        after its last. An in-place write that changes a field it reads bumps the sort
        version, which names a new index (the old one just expires)."""
        g, k = info.generation, self.keys
        order = q.organization_order if q.sort == "organization" else ()
        key = k.built_sort(g, info.sort_version, q.sort, _digest(_json(order)) if order else "")
        if self.client.expire(key, BUILT_SORT_SECONDS):
            return key
        if q.sort in ("organization", "type"):
            self._store_group_order(info, q.sort, order, key)
            return key
        value_of = _built_sort_value(q.sort)
        ranked: dict[int, tuple] = {}
        cursor = 0
        while True:
            # In chunks: Redis is never blocked for the whole fleet's rows.
            reply = self._row_fields(
                keys=[k.dev(g)], args=[cursor, 2000, "name", _BUILT_SORT_READS[q.sort]]
            )
            cursor = int(reply[0])
            for at in range(1, len(reply), 3):
                device_id = int(reply[at])
                name, value = orjson.loads(reply[at + 1]), orjson.loads(reply[at + 2])
                ranked[device_id] = value_of(device_id, name, value)
            if not cursor:
                break
        ids = sorted(ranked, key=ranked.__getitem__)
        self._store_order(keys=[key], args=[",".join(map(str, ids)), BUILT_SORT_SECONDS])
        return key

    def _store_group_order(
        self, info: SnapshotInfo, sort: str, order: tuple[int, ...], key: str
    ) -> None:
        """The organization or type order from the generation's sets, inside Redis (one
        ZUNIONSTORE, no rows read): the name index's scores plus, per group, its rank
        times _STATUS_STEP below zero, so the groups come in order, each in name order,
        and devices in none (name scores only) last."""
        g, k = info.generation, self.keys
        if sort == "organization":
            rank = {org: n for n, org in enumerate(order)}
            present = (int(o) for o in self.client.smembers(k.orgs(g)))
            groups = [
                k.org(g, o) for o in sorted(present, key=lambda o: (rank.get(o, len(rank)), o))
            ]
        else:
            groups = [k.type(g, t) for t in self.device_types(None)]  # by name
        weights = {k.sort(g, "name"): 1.0}
        weights.update({group: (n - len(groups)) * _STATUS_STEP for n, group in enumerate(groups)})
        with self.client.pipeline() as pipe:
            pipe.zunionstore(key, weights)
            pipe.expire(key, BUILT_SORT_SECONDS)
            pipe.execute()

    def _organizations_key(self, info: SnapshotInfo, org_ids: frozenset[int]) -> str:
        g = info.generation
        if len(org_ids) == 1:
            return self.keys.org(g, next(iter(org_ids)))
        ids = sorted(org_ids)
        dest = self.keys.query(g, info.version, "orgs:" + ",".join(map(str, ids)))
        self._union(keys=[dest, *(self.keys.org(g, o) for o in ids)], args=[self.result_ttl_ms])
        return dest

    def _search_key(self, info: SnapshotInfo, needle: str) -> str:
        g = info.generation
        digest = _digest(needle)
        dest = self.keys.query(g, info.version, f"search:{digest}")
        self._search(keys=[dest, *self.keys.texts(g)], args=[needle, self.result_ttl_ms])
        return dest

    def get_device(self, device_id: int) -> CachedDevice | None:
        """One device as the model has it, and how old that is; None when absent."""
        info = self.snapshot_info()
        if info is None:
            return None
        with self.client.pipeline(transaction=False) as pipe:
            pipe.hget(self.keys.dev(info.generation), str(device_id))
            pipe.hget(self.keys.fresh(info.generation), str(device_id))
            row, fresh = pipe.execute()
        if row is None:
            return None
        as_of = info.as_of
        if fresh is not None:
            as_of = max(as_of, _from_epoch(fresh))
        return CachedDevice(_device(row), as_of)

    def keep_detail(self, device: Device, *, read_at: datetime) -> None:
        """Keep `device`, a detail record read from the upstream at `read_at`, for
        `kept_detail` (pages show its detail-only fields when the upstream fails)."""
        row = storable_row(device)  # UnstorableDevice: nothing is kept
        data = b'{"device":%s,"read_at":%s}' % (row, _json(_epoch(read_at)))
        self.client.set(self.keys.kept_detail(device.id), data, ex=KEPT_DETAIL_TTL)

    def kept_detail(self, device_id: int) -> CachedDevice | None:
        """The last detail record kept for the device and when it was read; None if none."""
        raw = self.client.get(self.keys.kept_detail(device_id))
        if raw is None:
            return None
        data = orjson.loads(raw)
        return CachedDevice(Device.from_cache(data["device"]), _from_epoch(data["read_at"]))

    def organizations(self) -> set[int]:
        """The organization ids present in the current snapshot."""
        info = self.snapshot_info()
        if info is None:
            return set()
        return {int(o) for o in self.client.smembers(self.keys.orgs(info.generation))}

    def device_types(self, org_ids: frozenset[int] | None) -> dict[int, str]:
        """Type id -> type_short_name of the types present in the current snapshot
        within `org_ids` (None: all), by name. A type's name is read from any one
        device of that type (ASSUMPTION: the upstream names a type the same on
        every device); a type without a name reads "Type <id>"."""
        info = self.snapshot_info()
        if info is None or (org_ids is not None and not org_ids):
            return {}
        g, k = info.generation, self.keys
        types = sorted(int(t) for t in self.client.smembers(k.types(g)))
        if org_ids is not None and types:
            scope = self._organizations_key(info, org_ids)
            with self.client.pipeline(transaction=False) as pipe:
                for t in types:
                    pipe.sintercard(2, [k.type(g, t), scope], limit=1)
                present = pipe.execute()
            types = [t for t, n in zip(types, present, strict=True) if n]
        if not types:
            return {}
        with self.client.pipeline(transaction=False) as pipe:
            for t in types:
                pipe.srandmember(k.type(g, t))
            samples = pipe.execute()
        # The types set only grows between full polls: a type left empty has no sample.
        found = [(t, s) for t, s in zip(types, samples, strict=True) if s is not None]
        if not found:
            return {}
        rows = self.client.hmget(k.dev(g), [s for _, s in found])
        names = {
            t: (_device(row).type_short_name if row else None) or f"Type {t}"
            for (t, _), row in zip(found, rows, strict=True)
        }
        return dict(sorted(names.items(), key=lambda item: (item[1].casefold(), item[0])))

    def firmware_images(
        self, type_id: int, org_ids: frozenset[int] | None, *, sample: int = 500
    ) -> list[FirmwareSeen]:
        """The firmware images that devices of `type_id` within `org_ids` (None: all) report,
        newest image id first, read from at most `sample` of them. Only a detail read carries
        the image (a list poll does not), so these are the images the cache happens to know."""
        info = self.snapshot_info()
        if info is None or (org_ids is not None and not org_ids):
            return []
        g, k = info.generation, self.keys
        if org_ids is None:
            ids = self.client.srandmember(k.type(g, type_id), sample)
        else:
            ids = list(
                self.client.sinter(k.type(g, type_id), self._organizations_key(info, org_ids))
            )
            ids = random.sample(ids, sample) if len(ids) > sample else ids
        if not ids:
            return []
        counts: Counter[int] = Counter()
        versions: dict[int, Counter[str]] = defaultdict(Counter)
        for row in self.client.hmget(k.dev(g), ids):
            data = orjson.loads(row) if row else {}
            image = data.get("firmware_image")
            if not isinstance(image, int):
                continue
            counts[image] += 1
            # While an update is pending the device still runs the previous image's version.
            if data.get("software_version") and not data.get("firmware_image_is_pending"):
                versions[image][data["software_version"]] += 1
        return [
            FirmwareSeen(
                image, versions[image].most_common(1)[0][0] if versions[image] else None, n
            )
            for image, n in sorted(counts.items(), reverse=True)
        ]

    def find_serials(self, serials: Iterable[str]) -> dict[str, int]:
        """serial number -> device id for those of `serials` in the current snapshot
        (exact, case-sensitive; every organization). One HMGET."""
        wanted = [s for s in dict.fromkeys(serials) if s]
        info = self.snapshot_info()
        if info is None or not wanted:
            return {}
        ids = self.client.hmget(self.keys.serials(info.generation), wanted)
        return {s: int(i) for s, i in zip(wanted, ids, strict=True) if i is not None}

    # --- writes in place (incremental polls, refresh now) ---------------------------

    def update_devices(
        self,
        devices: Sequence[Device],
        *,
        observed_at: datetime,
        as_of: datetime | None = None,
    ) -> InPlaceWrite:
        """Update devices in place in the current generation; returns the status
        transitions this observed, and the devices set aside because they cannot be
        stored (their cached copy, if any, stays as it was). `as_of`, when given, moves
        the snapshot's time forward (an incremental poll saw every change up to then).

        Optimistic: WATCH the keys involved and retry if a concurrent writer (a
        refresh racing an incremental poll) changed them first, so the index
        memberships are always derived from the value actually replaced.
        """
        latest = {d.id: d for d in devices}
        # Encoded once, before the transaction (which may be retried); a device the
        # store cannot hold is set aside so that it never blocks the others.
        caches, rows, set_aside = {}, {}, []
        for i, device in list(latest.items()):
            try:
                rows[i] = storable_row(device)
            except UnstorableDevice as record:
                set_aside.append(record)
                del latest[i]
                continue
            caches[i] = device.to_cache()
        with self.client.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(self.keys.current)
                    info = self.snapshot_info(pipe)
                    if info is None:
                        # nothing to update yet: the next full poll fills it
                        return InPlaceWrite([], tuple(set_aside))
                    transitions = self._write_in_place(
                        pipe, info, latest, caches, rows, observed_at, as_of
                    )
                    return InPlaceWrite(transitions, tuple(set_aside))
                except redis.WatchError:
                    continue

    def _write_in_place(
        self, pipe, info, latest, caches, rows, observed_at, as_of
    ) -> list[Transition]:
        g, k = info.generation, self.keys
        ids = [str(i) for i in latest]
        buckets = sorted({_bucket(i) for i in latest})
        if ids:
            pipe.watch(k.dev(g), *(k.text(g, b) for b in buckets))
        old_rows = pipe.hmget(k.dev(g), ids) if ids else []
        old_cache = {
            int(i): orjson.loads(row)
            for i, row in zip(ids, old_rows, strict=True)
            if row is not None
        }
        old = {i: index_entry_from_cache(row) for i, row in old_cache.items()}
        new = {i: index_entry(d) for i, d in latest.items()}
        name_scores = dict(
            zip(ids, pipe.zmscore(k.sort(g, "name"), ids) if ids else [], strict=True)
        )
        for i, entry in new.items():
            before = old.get(i)
            if before is None or before.name_key != entry.name_key:
                name_scores[str(i)] = self._name_slot(pipe, g, entry.name_key)
        texts = {}
        if buckets:
            texts = dict(zip(buckets, pipe.mget([k.text(g, b) for b in buckets]), strict=True))
        # A generation published without cells keeps none (queries count from the sets).
        cells = bool(pipe.exists(k.cells(g)))

        # A device seen again unchanged (incremental polls overlap) is not rewritten,
        # so cached query results survive a quiet poll.
        changed = [i for i, row in zip(ids, old_rows, strict=True) if rows[int(i)] != row]
        # Most in-place writes change a status only: the built sorts stay valid then.
        resorted = any(
            _built_sort_fields(old_cache.get(int(i))) != _built_sort_fields(caches[int(i)])
            for i in changed
        )
        transitions = []
        pipe.multi()
        for i in map(int, changed):
            entry, before = new[i], old.get(i)
            self._unindex(pipe, g, before, entry)
            self._index(pipe, g, entry, name_scores[str(i)])
            if cells:
                self._move_cell(pipe, g, before, entry)
            pipe.hset(k.dev(g), str(i), rows[i])
            bucket = _text(texts.get(_bucket(i))) or ""
            texts[_bucket(i)] = _without_line(bucket, i) + _line(entry)
            if before is not None and before.up != entry.up:
                transitions.append(_transition(latest[i], before.up, observed_at))
            self._track_pending(pipe, before, entry, observed_at)
            self._track_serial(pipe, g, before, entry)
        for i in new:
            pipe.hset(k.fresh(g), str(i), observed_at.timestamp())
        for b in {_bucket(int(i)) for i in changed}:
            pipe.set(k.text(g, b), texts[b])
        if changed:
            pipe.hincrby(k.current, "version", 1)
        if resorted:
            pipe.hincrby(k.current, "sortver", 1)
        pipe.hset(k.current, "devices", info.devices + sum(1 for i in new if i not in old))
        if as_of is not None and as_of > info.as_of:
            pipe.hset(k.current, "as_of", as_of.timestamp())
        pipe.execute()
        return transitions

    def remove_devices(self, device_ids: Iterable[int]) -> int:
        """Remove devices from the current generation (gone upstream), and their kept
        detail records; returns how many were in the generation."""
        ids = sorted(set(device_ids))
        if ids:
            self.client.delete(*(self.keys.kept_detail(i) for i in ids))
        with self.client.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(self.keys.current)
                    info = self.snapshot_info(pipe)
                    if info is None or not ids:
                        return 0
                    return self._remove_in_place(pipe, info, ids)
                except redis.WatchError:
                    continue

    def _remove_in_place(self, pipe, info: SnapshotInfo, ids: list[int]) -> int:
        g, k = info.generation, self.keys
        buckets = sorted({_bucket(i) for i in ids})
        pipe.watch(k.dev(g), *(k.text(g, b) for b in buckets))
        rows = pipe.hmget(k.dev(g), [str(i) for i in ids])
        gone = [index_entry_from_cache(orjson.loads(row)) for row in rows if row is not None]
        texts = dict(zip(buckets, pipe.mget([k.text(g, b) for b in buckets]), strict=True))
        cells = bool(pipe.exists(k.cells(g)))
        pipe.multi()
        for entry in gone:
            i = str(entry.id)
            if cells:
                self._move_cell(pipe, g, entry, None)
            pipe.srem(k.status(g, entry.up), i)
            if entry.organization_id is not None:
                pipe.srem(k.org(g, entry.organization_id), i)
            if entry.type_id is not None:
                pipe.srem(k.type(g, entry.type_id), i)
            pipe.srem(k.pending(g), i)
            for sort in INDEXED_SORTS:
                pipe.zrem(k.sort(g, sort), i)
            pipe.hdel(k.dev(g), i)
            pipe.hdel(k.fresh(g), i)
            b = _bucket(entry.id)
            texts[b] = _without_line(_text(texts[b]) or "", entry.id)
            self._track_pending(pipe, entry, None, info.as_of)
            self._track_serial(pipe, g, entry, None)
        for b in buckets:
            pipe.set(k.text(g, b), texts[b])
        pipe.hincrby(k.current, "version", 1)
        if gone:
            pipe.hincrby(k.current, "sortver", 1)
        pipe.hset(k.current, "devices", max(info.devices - len(gone), 0))
        pipe.execute()
        return len(gone)

    def _track_pending(
        self, pipe, before: IndexEntry | None, after: IndexEntry | None, seen_at: datetime
    ) -> None:
        """Keep the first-seen times of one rewritten device's pending entries: new
        entries start now (HSETNX keeps an older time), cleared ones are dropped."""
        kept = _pending_fields(after)
        cleared = _pending_fields(before) - kept
        if cleared:
            pipe.hdel(self.keys.pending_seen, *cleared)
        for name in kept:
            pipe.hsetnx(self.keys.pending_seen, name, seen_at.timestamp())

    def _move_cell(self, pipe, g: int, before: IndexEntry | None, after: IndexEntry | None) -> None:
        """Keep the cell counts in step with one rewritten, added or removed device."""
        was = None if before is None else _cell_of(before)
        now = None if after is None else _cell_of(after)
        if was == now:
            return
        if was is not None:
            pipe.hincrby(self.keys.cells(g), was, -1)
        if now is not None:
            pipe.hincrby(self.keys.cells(g), now, 1)

    def _track_serial(
        self, pipe, g: int, before: IndexEntry | None, after: IndexEntry | None
    ) -> None:
        """Keep the serial index in step with one rewritten or removed device."""
        if (
            before is not None
            and before.serial_number
            and (after is None or after.serial_number != before.serial_number)
        ):
            pipe.hdel(self.keys.serials(g), before.serial_number)
        if after is not None and after.serial_number:
            pipe.hset(self.keys.serials(g), after.serial_number, after.id)

    def pending_first_seen(
        self, entries: Iterable[tuple[int, str]]
    ) -> dict[tuple[int, str], datetime]:
        """When a poll first saw each (device id, pending entry name); entries no poll
        has recorded yet are left out."""
        wanted = list(dict.fromkeys(entries))
        if not wanted:
            return {}
        stored = self.client.hmget(self.keys.pending_seen, [f"{i}|{n}" for i, n in wanted])
        return {
            entry: _from_epoch(value)
            for entry, value in zip(wanted, stored, strict=True)
            if value is not None
        }

    def _unindex(self, pipe, g: int, before: IndexEntry | None, after: IndexEntry) -> None:
        """Drop the memberships `before` had that `after` does not keep."""
        if before is None:
            return
        k, i = self.keys, str(before.id)
        if before.up != after.up:
            pipe.srem(k.status(g, before.up), i)
        if before.organization_id != after.organization_id and before.organization_id is not None:
            pipe.srem(k.org(g, before.organization_id), i)
        if before.type_id != after.type_id and before.type_id is not None:
            pipe.srem(k.type(g, before.type_id), i)
        if before.pending and not after.pending:
            pipe.srem(k.pending(g), i)

    def _index(self, pipe, g: int, entry: IndexEntry, name_score: float) -> None:
        k, i = self.keys, str(entry.id)
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
        pipe.zadd(k.sort(g, "status"), {i: _status_score(entry.up, name_score)})
        pipe.zadd(k.sort(g, "status_change"), {i: entry.status_change})
        pipe.zadd(k.sort(g, "last_connection"), {i: entry.last_connection})

    def _name_slot(self, pipe, g: int, name_key: tuple[str, int]) -> float:
        """A name score that places `name_key` in the name order without renumbering:
        binary search over the ranks (log n lookups), then the midpoint between the
        neighbours' scores. The next full poll renumbers everything."""
        k = self.keys
        name_index = k.sort(g, "name")
        lo, hi = 0, int(pipe.zcard(name_index))
        while lo < hi:
            mid = (lo + hi) // 2
            member = pipe.zrange(name_index, mid, mid)[0]
            row = pipe.hget(k.dev(g), member)
            other = orjson.loads(row)
            if ((other.get("name") or "").casefold(), other["id"]) < name_key:
                lo = mid + 1
            else:
                hi = mid
        left = pipe.zrange(name_index, lo - 1, lo - 1, withscores=True) if lo > 0 else []
        right = pipe.zrange(name_index, lo, lo, withscores=True)
        if left and right:
            return (left[0][1] + right[0][1]) / 2
        if left:
            return left[0][1] + 1
        if right:
            return right[0][1] - 1
        return 0.0

    # --- poll health ---------------------------------------------------------------

    def poll_started(self, poll: str, *, at: datetime, mode: str) -> None:
        self.client.hset(
            self.keys.health(poll), mapping={"running_since": at.timestamp(), "mode": mode}
        )

    def poll_succeeded(
        self,
        poll: str,
        *,
        at: datetime,
        duration: float,
        devices: int,
        pages: int,
        mode: str,
        set_aside: Sequence[tuple[int | None, str]] = (),
    ) -> None:
        """Record a finished poll. `set_aside`: the records it could not store, (device
        id or None, why); a full poll's replace those recorded before (it read the whole
        fleet), an incremental poll's are added to them."""
        key = self.keys.health(poll)
        named, total = [tuple(r) for r in set_aside], len(set_aside)
        if mode != "full":
            kept = self.poll_health(poll)
            # One entry per device (per reason, for a record without an id).
            known = {_set_aside_key(r) for r in named}
            earlier = [r for r in kept.set_aside if _set_aside_key(r) not in known]
            total += kept.set_aside_total - (len(kept.set_aside) - len(earlier))
            named = earlier + named
        with self.client.pipeline() as pipe:
            pipe.hset(
                key,
                mapping={
                    "last_attempt": at.timestamp(),
                    "last_success": at.timestamp(),
                    "duration": duration,
                    "devices": devices,
                    "pages": pages,
                    "failures": 0,
                    "mode": mode,
                    "set_aside": _json([list(r) for r in named[:SET_ASIDE_NAMED]]),
                    "set_aside_total": total,
                },
            )
            pipe.hdel(key, "running_since")
            pipe.execute()

    def poll_failed(
        self,
        poll: str,
        *,
        at: datetime,
        duration: float,
        error: str,
        pages: int,
        mode: str,
        kind: str = "other",
    ) -> None:
        """`kind`: the failure's reason in one word (fleet.poll_failures), counted apart."""
        key = self.keys.health(poll)
        with self.client.pipeline() as pipe:
            pipe.hset(
                key,
                mapping={
                    "last_attempt": at.timestamp(),
                    "duration": duration,
                    "pages": pages,
                    "last_error": error,
                    "last_error_at": at.timestamp(),
                    "mode": mode,
                },
            )
            pipe.hincrby(key, "failures", 1)
            pipe.hincrby(key, "failures_total", 1)
            pipe.hincrby(self.keys.failure_kinds(poll), kind, 1)
            pipe.hdel(key, "running_since")
            pipe.execute()

    def poll_health(self, poll: str) -> PollHealth:
        stored = self.client.hgetall(self.keys.health(poll))
        raw = {k.decode(): v.decode() for k, v in stored.items()}

        def number(name, kind=float):
            return kind(float(raw[name])) if name in raw else None

        return PollHealth(
            last_attempt=_from_epoch(raw.get("last_attempt")),
            last_success=_from_epoch(raw.get("last_success")),
            duration=number("duration"),
            devices=number("devices", int),
            pages=number("pages", int),
            failures=number("failures", int) or 0,
            failures_total=number("failures_total", int) or 0,
            last_error=raw.get("last_error"),
            mode=raw.get("mode"),
            running_since=_from_epoch(raw.get("running_since")),
            set_aside=tuple(tuple(r) for r in orjson.loads(raw.get("set_aside") or "[]")),
            set_aside_total=number("set_aside_total", int) or 0,
        )

    def poll_failure_kinds(self, poll: str) -> dict[str, int]:
        """Failed attempts of one poller by reason (fleet.poll_failures) since Redis
        was last emptied: the metrics' counters."""
        stored = self.client.hgetall(self.keys.failure_kinds(poll))
        return {kind.decode(): int(count) for kind, count in stored.items()}

    # --- history -------------------------------------------------------------------

    def record_transitions(self, transitions: Iterable[Transition], *, now: datetime) -> int:
        """Append transitions to the fleet timeline and to each device's own history,
        dropping whatever is older than the history window."""
        k = self.keys
        horizon = now - self.history
        min_id = f"{int(horizon.timestamp() * 1000)}-0"
        count = 0
        entry_id = self._stream_ids([k.transitions], now)
        with self.client.pipeline(transaction=False) as pipe:
            for t in transitions:
                fields = {
                    "d": t.device_id,
                    "o": "" if t.organization_id is None else t.organization_id,
                    "f": t.from_status,
                    "t": t.to_status,
                    "at": t.at.timestamp(),
                }
                pipe.xadd(k.transitions, fields, id=entry_id)
                device_key = k.device_history(t.device_id)
                # The recording time leads the member: equal scores (two changes in
                # one second) then sort in the order they were recorded.
                member = f"{time.time_ns()}|{t.at.timestamp()!r}|{t.from_status}|{t.to_status}"
                pipe.zadd(device_key, {member: t.at.timestamp()})
                pipe.zremrangebyscore(device_key, "-inf", horizon.timestamp())
                pipe.expire(device_key, int(self.history.total_seconds()))
                count += 1
            # Trim by time: the stream id is the time of recording, never before `at`
            # (so reading "since t" from id t finds every transition at or after t).
            pipe.xtrim(k.transitions, minid=min_id, approximate=False)
            pipe.execute()
        return count

    def transitions_since(
        self,
        since: datetime,
        *,
        device_id: int | None = None,
        org_ids: frozenset[int] | None = None,
        limit: int = 1000,
    ) -> list[Transition]:
        """Transitions at or after `since`, oldest first, within `org_ids` (None: all)."""
        if device_id is not None:
            raw = self.client.zrangebyscore(
                self.keys.device_history(device_id), since.timestamp(), "+inf"
            )
            found = []
            for member in raw:
                _, at, before, after = member.decode().split("|")
                found.append(Transition(device_id, None, before, after, _from_epoch(at)))
            if org_ids is not None and found:
                cached = self.get_device(device_id)
                if cached is None or cached.device.organization_id not in org_ids:
                    return []
                found = [
                    Transition(t.device_id, cached.device.organization_id, t.from_status,
                               t.to_status, t.at)
                    for t in found
                ]  # fmt: skip
            return found[-limit:]
        found = [t for t in self._timeline(since) if _in_scope(t, org_ids)]
        return found[-limit:]

    def _timeline(self, since: datetime) -> list[Transition]:
        start = f"{int(since.timestamp() * 1000)}-0"
        entries = self.client.xrange(self.keys.transitions, min=start, max="+")
        found = []
        for _, fields in entries:
            f = {key.decode(): value.decode() for key, value in fields.items()}
            at = _from_epoch(f["at"])
            if at < since:
                continue
            found.append(
                Transition(
                    device_id=int(f["d"]),
                    organization_id=int(f["o"]) if f["o"] else None,
                    from_status=f["f"],
                    to_status=f["t"],
                    at=at,
                )
            )
        found.sort(key=lambda t: (t.at, t.device_id))
        return found

    def flapping_devices(
        self,
        *,
        now: datetime,
        window: timedelta = FLAP_WINDOW,
        min_transitions: int = FLAP_MIN_TRANSITIONS,
        org_ids: frozenset[int] | None = None,
    ) -> list[Flapper]:
        """Devices with at least `min_transitions` transitions in the last `window`,
        most restless first."""
        counts: Counter[int] = Counter()
        orgs: dict[int, int | None] = {}
        for t in self._timeline(now - window):
            if _in_scope(t, org_ids):
                counts[t.device_id] += 1
                orgs[t.device_id] = t.organization_id
        flappers = [
            Flapper(device_id, orgs[device_id], n)
            for device_id, n in counts.items()
            if n >= min_transitions
        ]
        flappers.sort(key=lambda f: (-f.transitions, f.device_id))
        return flappers

    def record_org_counts(self, counts: Mapping[int, tuple[int, int]], *, at: datetime) -> None:
        """One point per organization (and one for the whole fleet) of Up/Down counts."""
        k = self.keys
        min_id = f"{int((at - self.history).timestamp() * 1000)}-0"
        total_up = sum(up for up, _ in counts.values())
        total_down = sum(down for _, down in counts.values())
        series = {**{str(o): c for o, c in counts.items()}, "all": (total_up, total_down)}
        # One id for every series of this poll, so the points line up across them.
        entry_id = self._stream_ids([k.org_history(o) for o in series], at)
        with self.client.pipeline(transaction=False) as pipe:
            if counts:
                pipe.sadd(k.history_orgs, *counts.keys())
            for org, (up, down) in series.items():
                pipe.xadd(k.org_history(org), {"u": up, "d": down}, id=entry_id)
                pipe.xtrim(k.org_history(org), minid=min_id, approximate=True)
            pipe.execute()

    def _stream_ids(self, streams: list[str], at: datetime) -> str:
        """A stream entry id for `at` that none of `streams` refuses: Redis wants ids
        to grow, so a clock that stepped back gets the newest existing time instead."""
        with self.client.pipeline(transaction=False) as pipe:
            for stream in streams:
                pipe.xrevrange(stream, count=1)
            newest = pipe.execute()
        ms = int(at.timestamp() * 1000)
        for entries in newest:
            if entries:
                ms = max(ms, int(entries[0][0].split(b"-")[0]))
        return f"{ms}-*"

    def org_counts_series(
        self, *, since: datetime, until: datetime, org_ids: frozenset[int] | None
    ) -> dict[int | str, list[CountPoint]]:
        """Up/Down counts per poll between `since` and `until`, per organization;
        for every organization (`org_ids` None) the whole fleet comes under "all"."""
        k = self.keys
        if org_ids is None:
            wanted: list[int | str] = ["all"] + sorted(
                int(o) for o in self.client.smembers(k.history_orgs)
            )
        else:
            wanted = sorted(org_ids)
        start = f"{int(since.timestamp() * 1000)}-0"
        end = f"{int(until.timestamp() * 1000)}-18446744073709551615"
        with self.client.pipeline(transaction=False) as pipe:
            for org in wanted:
                pipe.xrange(k.org_history(org), min=start, max=end)
            answers = pipe.execute()
        series = {}
        for org, entries in zip(wanted, answers, strict=True):
            series[org] = [
                CountPoint(
                    at=_from_epoch(int(entry_id.decode().split("-")[0]) / 1000),
                    up=int(fields[b"u"]),
                    down=int(fields[b"d"]),
                )
                for entry_id, fields in entries
            ]
        return series

    def current_org_counts(self) -> dict[int, tuple[int, int]]:
        """Up/Down per organization in the current snapshot, counted inside Redis."""
        info = self.snapshot_info()
        if info is None:
            return {}
        g, k = info.generation, self.keys
        orgs = sorted(int(o) for o in self.client.smembers(k.orgs(g)))
        with self.client.pipeline(transaction=False) as pipe:
            for o in orgs:
                pipe.sintercard(2, [k.org(g, o), k.status(g, True)])
                pipe.sintercard(2, [k.org(g, o), k.status(g, False)])
            answers = pipe.execute()
        return {o: (answers[2 * n], answers[2 * n + 1]) for n, o in enumerate(orgs)}

    # --- connection profiles -------------------------------------------------------

    def write_profiles(self, profiles: Sequence[Profile], *, as_of: datetime) -> None:
        """Replace the profile snapshot: one SET, so readers see all old or all new."""
        document = {"as_of": as_of.timestamp(), "items": [p.to_cache() for p in profiles]}
        self.client.set(self.keys.profiles, _json(document))

    def read_profiles(self) -> ProfileSnapshot | None:
        """The profile snapshot, or None before the first profile poll."""
        raw = self.client.get(self.keys.profiles)
        if raw is None:
            return None
        document = orjson.loads(raw)
        return ProfileSnapshot(
            items=[Profile.from_cache(item) for item in document["items"]],
            as_of=_from_epoch(document["as_of"]),
        )

    def keep_profile(self, profile: Profile, *, read_at: datetime) -> None:
        """Keep `profile`, read from the upstream at `read_at`, for `kept_profile`
        (its page shows it when neither the snapshot nor the upstream has it)."""
        data = {"profile": profile.to_cache(), "read_at": _epoch(read_at)}
        self.client.set(self.keys.kept_profile(profile.id), _json(data), ex=KEPT_DETAIL_TTL)

    def kept_profile(self, profile_id: int) -> KeptProfile | None:
        """The profile record last kept and when it was read; None if none."""
        raw = self.client.get(self.keys.kept_profile(profile_id))
        if raw is None:
            return None
        data = orjson.loads(raw)
        return KeptProfile(Profile.from_cache(data["profile"]), _from_epoch(data["read_at"]))

    def forget_profile(self, profile_id: int) -> None:
        """Drop the kept record of a profile the upstream no longer has."""
        self.client.delete(self.keys.kept_profile(profile_id))


def _set_aside_key(record: tuple[int | None, str]) -> int | str:
    return record[1] if record[0] is None else record[0]


def _status_score(up: bool, name_score: float) -> float:
    return (_STATUS_STEP if up else 0.0) + name_score


def _status_range(up: bool) -> tuple[str, str]:
    """The scores of one status in the status index (name scores stay within
    ±STATUS_STEP/2, so halfway between the statuses separates them)."""
    middle = repr(_STATUS_STEP / 2)
    return (middle, "+inf") if up else ("-inf", f"({middle}")


def _transition(device: Device, was_up: bool, observed_at: datetime) -> Transition:
    return Transition(
        device_id=device.id,
        organization_id=device.organization_id,
        from_status="Up" if was_up else "Down",
        to_status=device.status if device.status in ("Up", "Down") else "Down",
        # The upstream's own time of the change when it gives one; else when we saw it.
        at=device.status_change or observed_at,
    )


def _in_scope(t: Transition, org_ids: frozenset[int] | None) -> bool:
    return org_ids is None or t.organization_id in org_ids


def _built_sort_fields(row: Mapping[str, Any] | None) -> tuple | None:
    """What the built sorts read of a stored row (None: no row)."""
    return None if row is None else tuple(row.get(f) for f in _BUILT_SORT_FIELDS)


def _without_line(bucket: str, device_id: int) -> str:
    """The bucket text without this device's line."""
    marker = f"\t{device_id}\n"
    at = bucket.find(marker)
    if at < 0:
        return bucket
    start = bucket.rfind("\n", 0, at) + 1
    return bucket[:start] + bucket[at + len(marker) :]


def write_page(
    client: redis.Redis, prefix: str, generation: int, devices: Iterable[CacheRow]
) -> list[IndexEntry]:
    """Write one page of devices into a generation that is not published yet: each
    device's row is its cache JSON (the CacheRows `device_pages.read_device_cache_page`
    gives, or `cache_row(Device.to_cache())`), stored as it is, and its set memberships
    and time scores are written from its index entry. One pipeline, no per-device
    round trip. Returns the index entries, in page order, for `SnapshotBuilder.adopt`.

    A function of plain values (not of a ReadModel), so that worker processes run it
    (fleet.page_writers). A device twice on the page keeps its later copy's row; its
    earlier copy's memberships are dropped by `adopt`.
    """
    k, g = Keys(prefix), generation
    entries: list[IndexEntry] = []
    rows: dict[str, bytes] = {}
    statuses: dict[bool, list[str]] = defaultdict(list)
    orgs: dict[int, list[str]] = defaultdict(list)
    types: dict[int, list[str]] = defaultdict(list)
    pending: list[str] = []
    serials: dict[str, str] = {}
    changed: dict[str, float] = {}
    seen: dict[str, float] = {}
    for device, row in devices:
        # A Device, or a cache dict (SnapshotBuilder.add).
        entry = index_entry_from_cache(device) if device.__class__ is dict else index_entry(device)
        entries.append(entry)
        i = str(entry.id)
        rows[i] = row
        statuses[entry.up].append(i)
        if entry.organization_id is not None:
            orgs[entry.organization_id].append(i)
        if entry.type_id is not None:
            types[entry.type_id].append(i)
        if entry.pending:
            pending.append(i)
        if entry.serial_number:
            serials[entry.serial_number] = i
        changed[i] = entry.status_change
        seen[i] = entry.last_connection
    if not rows:
        return entries
    with client.pipeline(transaction=False) as pipe:
        pipe.hset(k.dev(g), mapping=rows)
        for up, ids in statuses.items():
            pipe.sadd(k.status(g, up), *ids)
        for org, ids in orgs.items():
            pipe.sadd(k.org(g, org), *ids)
        for type_id, ids in types.items():
            pipe.sadd(k.type(g, type_id), *ids)
        if orgs:
            pipe.sadd(k.orgs(g), *orgs)
        if types:
            pipe.sadd(k.types(g), *types)
        if pending:
            pipe.sadd(k.pending(g), *pending)
        if serials:
            pipe.hset(k.serials(g), mapping=serials)
        pipe.zadd(k.sort(g, "status_change"), changed)
        pipe.zadd(k.sort(g, "last_connection"), seen)
        pipe.execute()
    return entries


# The name order is written in chunks of this many devices (one command each).
NAME_CHUNK = 5000


def write_name_order(
    client: redis.Redis, prefix: str, generation: int, start: int, ids: Sequence[int]
) -> None:
    """Give `ids`, in name order, the ranks `start`, `start + 1`... in the name index
    of an unpublished generation (SnapshotBuilder.publish makes the chunks)."""
    client.zadd(
        Keys(prefix).sort(generation, "name"), {str(i): start + n for n, i in enumerate(ids)}
    )


class SnapshotBuilder:
    """Writes one new generation page by page; `publish()` makes it current.

    Each page's rows, set memberships and time scores are written by `write_page`
    (here, or in a worker process), and its index entries adopted here. The name
    order needs the whole fleet, and a search bucket holds devices of every page,
    so both are written at publish time; the buckets' lines are gathered as pages
    are adopted (while later pages are still being fetched).
    """

    def __init__(self, model: ReadModel, generation: int, started_at: datetime):
        self.model = model
        self.generation = generation
        self.started_at = started_at
        self._entries: dict[int, IndexEntry] = {}
        self._lines: dict[int, dict[int, str]] = defaultdict(dict)  # bucket -> id -> line

    @property
    def devices(self) -> int:
        return len(self._entries)

    def add(self, devices: Iterable[dict[str, Any]]) -> None:
        """Write one page of devices (cache dicts) and adopt it, in this process."""
        model = self.model
        devices = [cache_row(d) for d in devices]
        entries = write_page(model.client, model.keys.p, self.generation, devices)
        if self.adopt(entries):
            # The fleet shifted under the offsets: this page's copies must win.
            write_page(model.client, model.keys.p, self.generation, devices)

    def adopt(self, entries: Iterable[IndexEntry]) -> bool:
        """Take the index entries of a page `write_page` wrote, in page order.

        A device already adopted from an earlier page (the fleet shifted under the
        offsets while the poll ran) keeps this later copy: the memberships only the
        earlier copy had are dropped here. Returns True when that happened; the
        caller must then write this page again, since pages are written concurrently
        and the earlier copy's row and scores may have landed last.
        """
        k, g = self.model.keys, self.generation
        known, lines = self._entries, self._lines
        shifted = False
        with self.model.client.pipeline(transaction=False) as pipe:
            for entry in entries:
                before = known.get(entry.id)
                if before is not None:
                    shifted = True
                    self.model._unindex(pipe, g, before, entry)
                    if before.serial_number and before.serial_number != entry.serial_number:
                        pipe.hdel(k.serials(g), before.serial_number)
                known[entry.id] = entry
                lines[_bucket(entry.id)][entry.id] = _line(entry)
            if shifted:
                pipe.execute()
        return shifted

    def publish(
        self,
        *,
        as_of: datetime | None = None,
        write_names: Callable[[list[tuple[int, list[int]]]], None] | None = None,
    ) -> PublishedSnapshot:
        """Write the name and status orders and the search text, then switch the pointer.

        `write_names(chunks)` writes the name order, given as chunks (first rank, the
        ids that follow it in name order), with `write_name_order` (the poller has its
        worker processes do it, in parallel); by default it is written by this process.
        Returns what changed against the previous generation: status transitions
        and the Up/Down count per organization.
        """
        model, k, g = self.model, self.model.keys, self.generation
        client = model.client
        entries = self._entries.values()
        in_order = [device_id for _, device_id in sorted([e.name_key for e in entries])]
        chunks = [
            (start, in_order[start : start + NAME_CHUNK])
            for start in range(0, len(in_order), NAME_CHUNK)
        ]
        if write_names is None:

            def write_names(chunks):
                for start, ids in chunks:
                    write_name_order(client, k.p, g, start, ids)

        # The name order is written (by the writers, or a thread here) while this
        # thread gathers and sends the search text and the cell counts, which do not
        # depend on it: publishing 100,000 devices went from 0.55 to 0.4 s.
        with ThreadPoolExecutor(max_workers=1) as background:
            names = background.submit(write_names, chunks)
            # One cell per organization x type x pending x status present, counted here
            # from the entries rather than written page by page. ASSUMPTION: a few
            # thousand cells at most (a cold query reads them all with one HGETALL).
            cells = Counter((e.organization_id, e.type_id, bool(e.pending), e.up) for e in entries)
            with client.pipeline(transaction=False) as pipe:
                for b, lines in self._lines.items():
                    pipe.set(k.text(g, b), "".join(lines.values()))
                pipe.hset(
                    k.cells(g), mapping={"ready": 1, **{_cell(*c): n for c, n in cells.items()}}
                )
                pipe.execute()
            names.result()
        if in_order:
            # The status order is the name order with Up shifted past Down
            # (_status_score), derived inside Redis: the up set's members score 1,
            # weighted by the step, added to their name score.
            client.zunionstore(
                k.sort(g, "status"),
                {k.sort(g, "name"): 1, k.status(g, True): _STATUS_STEP},
                aggregate="SUM",
            )

        previous = model.snapshot_info()
        transitions = self._transitions_from(previous) if previous else []
        org_counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for (org, _, _, up), n in cells.items():
            if org is not None:
                org_counts[org][0 if up else 1] += n

        snapshot_time = as_of or self.started_at
        # First-seen times of pending entries: the whole fleet was seen, so entries
        # not in it have cleared (a few thousand fields at most: one HKEYS).
        seen_now = {f"{e.id}|{name}" for e in entries if e.pending for name in e.pending}
        recorded = {_text(f) for f in client.hkeys(k.pending_seen)}
        first_seen = {f: self.started_at.timestamp() for f in seen_now - recorded}
        cleared = recorded - seen_now
        with client.pipeline(transaction=True) as pipe:
            pipe.delete(k.current)
            pipe.hset(
                k.current,
                mapping={
                    "gen": g,
                    "version": 0,
                    "as_of": snapshot_time.timestamp(),
                    "full_as_of": self.started_at.timestamp(),
                    "devices": len(in_order),
                },
            )
            pipe.zrem(k.gc, str(g))
            if first_seen:
                pipe.hset(k.pending_seen, mapping=first_seen)
            if cleared:
                pipe.hdel(k.pending_seen, *cleared)
            if previous is not None:
                retire_at = datetime.now(UTC) + model.grace
                pipe.zadd(k.gc, {str(previous.generation): retire_at.timestamp()})
            pipe.execute()
        return PublishedSnapshot(
            generation=g,
            devices=len(in_order),
            organizations=frozenset(org_counts),
            transitions=transitions,
            org_counts={o: (c[0], c[1]) for o, c in org_counts.items()},
        )

    def _transitions_from(self, previous: SnapshotInfo) -> list[Transition]:
        """Devices whose status differs from the previous generation, found by set
        intersection inside Redis (cost: the smaller sets, not the fleet)."""
        k, g, old = self.model.keys, self.generation, previous.generation
        with self.model.client.pipeline(transaction=False) as pipe:
            pipe.sinter(k.status(g, False), k.status(old, True))
            pipe.sinter(k.status(g, True), k.status(old, False))
            went_down, came_up = pipe.execute()
        transitions = []
        for ids, was_up in ((went_down, True), (came_up, False)):
            for raw in ids:
                entry = self._entries[int(raw)]
                transitions.append(
                    Transition(
                        device_id=entry.id,
                        organization_id=entry.organization_id,
                        from_status="Up" if was_up else "Down",
                        to_status="Up" if entry.up else "Down",
                        # The upstream's time of the change; else the poll's.
                        at=_from_epoch(entry.status_change)
                        if entry.status_change != _NO_TIME
                        else self.started_at,
                    )
                )
        transitions.sort(key=lambda t: (t.at, t.device_id))
        return transitions

    def abandon(self) -> None:
        """Drop the half-written generation now (a failed poll)."""
        self.model.delete_generation(self.generation)
        self.model.client.zrem(self.model.keys.gc, str(self.generation))
