"""A full poll in three steps that any number of processes can share.

1. `begin_full_poll`: take the poll lock, start a generation, fetch and store the
   first page (it gives the fleet's count) and plan the rest as page ranges.
2. `store_range`: fetch one range's pages (a few threads, so upstream waits
   overlap) and store each into the generation; the pages' index entries are kept
   in Redis beside it (`Keys.poll_pages`), so nothing large travels back.
3. `finish_full_poll`: check that every planned page landed, repair what a fleet
   that changed under the offsets made the pages skip or repeat, adopt every entry
   into the SnapshotBuilder in offset order and publish; or abandon the generation
   and keep the old snapshot, saying why in the poll health.

Inputs and outputs are plain values (`FullPollPlan.to_json`, dict summaries) so that
Celery carries them between machines (devices.tasks); `fleet.polling.poll_fleet` runs
the same steps in one process. Every step renews the poll lock by its token and stops
(LockLost) once the lock is another poll's. Running a range twice (a redelivered
task) stores the same thing: pages are keyed by offset and a second copy of a page
replaces the first (see `_record_page`).

Limit/offset under change: pages read at different moments while devices are
deleted or created upstream skip or repeat devices. The finish step detects it
(a page's count differs from the plan's, a device on two pages, fewer devices than
counted) and then (a) re-reads the tail, where devices created meanwhile land, and
(b) fetches one by one the devices the previous snapshot had that no page brought:
found, it is stored; 404, it is gone. More than `PollConfig.repair_limit` of those
and the snapshot is published as it is, the poll health saying how many may be
missing until the next poll.

ASSUMPTION: the upstream lists devices in a stable order (by id, as the simulator
does) in which created devices come last; a device created and then skipped by a
shift, and a device deleted after its page was read, are right again at the next
incremental (a new device's status changes) or full poll.
ASSUMPTION: a fleet that loses and gains exactly as many devices during a poll, with
no page repeating a device, is not detected (its counts all agree).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import orjson
import redis

from controlapi import errors
from controlapi.device_pages import read_device_cache_page
from controlapi.records import CacheRow, UnstorableDevice, storable_row
from fleet import poll_outcomes
from fleet.locks import KeepAlive, RedisLock
from fleet.poll_failures import LockLost, PollFailed
from fleet.read_model import ReadModel
from fleet.store.indexes import IndexEntry, index_entry_from_cache, unindex
from fleet.store.snapshots import SnapshotBuilder
from fleet.store.writes import write_page

log = logging.getLogger(__name__)

FLEET = "fleet"
FULL = "full"
# Every poll asks for fresh statuses and for the values of pending entries (the triage
# board and the device page show them from the cache).
LIST_QUERY = {"update_status": True, "pending": True}

ApiFactory = Callable[[], Any]


class _StoredPage(msgspec.Struct, array_like=True):
    """One page as its range left it in Redis for the finish step."""

    count: int  # the fleet's size as this page's answer gave it
    entries: list[IndexEntry]
    set_aside: list[tuple[int | None, str]]


_ENCODE = msgspec.msgpack.Encoder()
_DECODE_PAGE = msgspec.msgpack.Decoder(_StoredPage)


@dataclass(frozen=True, slots=True)
class FullPollPlan:
    """What `begin_full_poll` decided; `to_json()` is what a Celery message carries."""

    generation: int
    token: str  # the poll lock's owner token
    started: float  # epoch seconds
    count: int  # the fleet's size as the first page gave it
    page_size: int
    ranges: tuple[tuple[int, int], ...]  # (first offset, end offset) after the first page

    def to_json(self) -> dict:
        return {
            "generation": self.generation,
            "token": self.token,
            "started": self.started,
            "count": self.count,
            "page_size": self.page_size,
            "ranges": [list(r) for r in self.ranges],
        }

    @classmethod
    def from_json(cls, data: dict) -> FullPollPlan:
        return cls(
            generation=int(data["generation"]),
            token=str(data["token"]),
            started=float(data["started"]),
            count=int(data["count"]),
            page_size=int(data["page_size"]),
            ranges=tuple((int(a), int(b)) for a, b in data["ranges"]),
        )

    @property
    def started_at(self) -> datetime:
        return datetime.fromtimestamp(self.started, UTC)

    def offsets(self) -> list[int]:
        """Every planned page's offset, the first page's included."""
        size = self.page_size
        return [0, *(o for start, end in self.ranges for o in range(start, end, size))]


@dataclass(slots=True)
class FinishedPoll:
    """What a published full poll did (the caller records it and acts on it)."""

    devices: int
    pages: int
    transitions: list
    organizations: frozenset[int]
    set_aside: list[tuple[int | None, str]]
    repaired: int = 0  # devices fetched one by one because the fleet changed
    gone: int = 0  # of those, deleted upstream
    duration: float = 0.0  # seconds from the poll's start to its publication
    # Up/Down per organization as published, and the poll's start (the time of its count points).
    org_counts: dict[int, tuple[int, int]] = field(default_factory=dict)
    started_at: datetime | None = None
    mode: str = FULL  # as PollReport's, for what follows either


def _lock(model: ReadModel, ttl: float, token: str | None = None) -> RedisLock:
    return RedisLock(model.client, model.keys.poll_lock(FLEET), ttl, token=token)


# --- 1. begin ----------------------------------------------------------------------


def begin_full_poll(
    model: ReadModel,
    api_factory: ApiFactory,
    config,
    *,
    on_page: Callable[[], None] | None = None,
) -> FullPollPlan | None:
    """Take the poll lock, start a generation and store its first page; None when
    another poll holds the lock. Raises PollFailed (recorded in the poll health, the
    generation dropped and the lock released) when the first page fails."""
    lock = _lock(model, config.lock_ttl)
    if not lock.acquire():
        return None
    started = datetime.now(UTC)
    builder = None
    try:
        model.poll_started(FLEET, at=started, mode=FULL)
        builder = model.new_snapshot(started, abandon_after=timedelta(seconds=config.abandon_after))
        size = config.page_size
        with api_factory() as api:
            count = _fetch_and_store(
                model, api, builder.generation, 0, size, _expiry(config, started)
            )
        if on_page is not None:
            on_page()
        step = size * max(config.pages_per_range, 1)
        ranges = tuple((o, min(o + step, count)) for o in range(size, count, step))
        return FullPollPlan(
            builder.generation, lock.token, started.timestamp(), count, size, ranges
        )
    except BaseException as error:
        if builder is not None:
            _drop(model, builder.generation)
        record_failure(model, started, error, pages=0)
        lock.release_quietly()
        failure = as_poll_failure(error, 0)
        if failure is error:
            raise
        raise failure from error


def _expiry(config, started: datetime) -> int:
    """The pages' keys go when their generation would be abandoned."""
    return int((started + timedelta(seconds=config.abandon_after)).timestamp())


# --- 2. one range ------------------------------------------------------------------


def store_range(
    model: ReadModel,
    api_factory: ApiFactory,
    config,
    plan: FullPollPlan,
    start: int,
    end: int,
    *,
    on_page: Callable[[], None] | None = None,
) -> dict:
    """Fetch and store the pages of offsets [start, end) into the plan's generation,
    `config.parallel` at once. Returns a small summary: pages, the counts they
    reported. Raises LockLost when the poll lock is not this poll's any more, and the
    upstream's error when a page fails (the pages stored so far stay; a second run
    replaces them)."""
    lock = _lock(model, config.lock_ttl, plan.token)
    if not lock.renew():
        raise LockLost("The poll lock passed to another poll before this range was stored.")
    offsets = list(range(start, end, plan.page_size))
    expiry = _expiry(config, plan.started_at)

    def fetch(offset):
        api = _thread_client(api_factory)
        count = _fetch_and_store(model, api, plan.generation, offset, plan.page_size, expiry)
        if keep_alive.lost.is_set():
            raise LockLost("The poll lock passed to another poll while a range was stored.")
        if on_page is not None:
            on_page()
        return count

    with KeepAlive(lock) as keep_alive:
        counts = list(_fetchers(config.parallel).map(fetch, offsets))
    return {"start": start, "end": end, "pages": len(offsets), "counts": sorted(set(counts))}


# The fetch threads of this process and their upstream clients live as long as it does,
# serving every range it runs: a worker runs ranges one after the other, and starting
# threads and connections per range cost more than its fetches' waits (the threads wait
# for the interpreter the pages' reading holds).
_FETCHERS: dict[int, ThreadPoolExecutor] = {}
_FETCHERS_GUARD = threading.Lock()
_THREAD = threading.local()


def _fetchers(size: int) -> ThreadPoolExecutor:
    size = max(size, 1)
    with _FETCHERS_GUARD:
        pool = _FETCHERS.get(size)
        if pool is None:
            pool = _FETCHERS[size] = ThreadPoolExecutor(size, thread_name_prefix="fetch")
        return pool


def _thread_client(api_factory: ApiFactory):
    """This thread's upstream client of `api_factory`; one made by another factory (an
    earlier poll's settings, or test) is closed and replaced."""
    kept = getattr(_THREAD, "client", None)
    if kept is not None and kept[0] is api_factory:
        return kept[1]
    if kept is not None:
        kept[1].close()
    client = api_factory()
    _THREAD.client = (api_factory, client)
    return client


def _fetch_and_store(model, api, generation: int, offset: int, size: int, expiry: int) -> int:
    """One page read, stored and recorded; returns the count it gave."""

    def read(body):
        # Inside the client's retries: a body cut or garbled on the way is fetched again.
        return read_device_cache_page(body)

    page = api.read_device_page(read, limit=size, offset=offset, **LIST_QUERY)
    set_aside = [(record.device_id, record.reason) for record in page.set_aside]
    _record_page(model, generation, offset, page.count, page.items, set_aside, expiry)
    return page.count


def _record_page(model, generation, offset, count, rows, set_aside, expiry) -> None:
    """Store a page into the generation and keep its entries for the finish step.

    A page stored before (a redelivered range) is replaced: memberships only its
    earlier copy gave a device it still holds are dropped. A device only the earlier
    copy held keeps its row and memberships until the finish step finds it adopted
    by no page and removes it (`_drop_strays`)."""
    client, keys = model.client, model.keys
    field = str(offset)
    earlier = client.hget(keys.poll_pages(generation), field)
    entries = write_page(client, keys.p, generation, rows)
    stored = _ENCODE.encode(_StoredPage(count, entries, set_aside))
    with client.pipeline(transaction=False) as pipe:
        if earlier is not None:
            before = {e.id: e for e in _DECODE_PAGE.decode(earlier).entries}
            for entry in entries:
                unindex(pipe, keys, generation, before.get(entry.id), entry)
        pipe.hset(keys.poll_pages(generation), field, stored)
        pipe.expireat(keys.poll_pages(generation), expiry)
        pipe.execute()


# --- 3. finish ---------------------------------------------------------------------


class AlreadyFinished(Exception):
    """The generation was published by an earlier delivery of the same finish step."""


def finish_full_poll(
    model: ReadModel,
    api_factory: ApiFactory,
    config,
    plan: FullPollPlan,
    *,
    failures: Iterable[tuple[str, str]] = (),
) -> FinishedPoll:
    """Publish the plan's generation and record the poll, or abandon the generation
    (raising PollFailed, in words, recorded in the poll health). `failures`: why ranges
    could not be stored (their tasks gave up), which abandons it too. Releases the poll
    lock either way, when it is still this poll's. AlreadyFinished: published already
    (a redelivered finish)."""
    if _published(model, plan):
        raise AlreadyFinished(f"generation {plan.generation} is already published")
    lock = _lock(model, config.lock_ttl, plan.token)
    failures = list(failures)
    try:
        if not lock.renew():
            raise LockLost("The poll lock expired or passed to another poll before publishing.")
        if failures:
            reason, kind = failures[0]
            # A range's reason (failure_reason) may say it already.
            kept = "" if reason.endswith(SNAPSHOT_KEPT) else f" {SNAPSHOT_KEPT}"
            raise PollFailed(f"{reason}{kept}", kind)
        with KeepAlive(lock), _collector_paused():
            finished, published = _assemble_and_publish(model, api_factory, config, plan)
    except BaseException as error:
        abandon_full_poll(model, plan, error, release=not isinstance(error, LockLost))
        failure = as_poll_failure(error, 0)
        if failure is error:
            raise
        raise failure from error
    try:
        started = plan.started_at
        model.record_transitions(published.transitions, now=datetime.now(UTC))
        model.record_org_counts(published.org_counts, at=started)
        finished.duration = time.time() - plan.started
        poll_outcomes.record_success(
            model,
            FLEET,
            started=started,
            duration=finished.duration,
            devices=finished.devices,
            pages=finished.pages,
            mode=FULL,
            set_aside=finished.set_aside,
        )
        model.collect_garbage(datetime.now(UTC))
    finally:
        lock.release_quietly()
    return finished


def abandon_full_poll(
    model: ReadModel, plan: FullPollPlan, error: BaseException, *, pages: int = 0, release=True
) -> None:
    """Drop the plan's generation, keep the old snapshot, say why in the poll health and
    give the lock up (unless `release` is False: it is another poll's now)."""
    _drop(model, plan.generation)
    record_failure(model, plan.started_at, error, pages=pages)
    if release:
        _lock(model, 1, plan.token).release_quietly()


def _published(model: ReadModel, plan: FullPollPlan) -> bool:
    info = model.snapshot_info()
    return info is not None and info.generation == plan.generation


def _assemble_and_publish(model, api_factory, config, plan: FullPollPlan):
    client, keys, g = model.client, model.keys, plan.generation
    offsets = plan.offsets()
    stored = _read_pages(client, keys.poll_pages(g), offsets)
    lost = [o for o in offsets if o not in stored]
    if lost:
        raise PollFailed(
            f"{len(lost)} of the poll's {len(offsets)} pages never reached Redis (the first "
            f"at offset {lost[0]}). The previous snapshot is kept."
        )
    builder = SnapshotBuilder(model.snapshots, g, plan.started_at)
    repeated: set[int] = set()
    set_aside: dict[int | None, str] = {}
    unnamed: list[str] = []
    counts = {plan.count}
    for offset in offsets:
        page = stored.pop(offset)
        counts.add(page.count)
        _adopt(builder, page.entries, repeated)
        for device_id, reason in page.set_aside:
            if device_id is None:
                unnamed.append(reason)
            else:
                set_aside[device_id] = reason
    pages = len(offsets)
    repaired = gone = 0
    arrived = builder.devices + len(set_aside) + len(unnamed)
    if len(counts) > 1 or repeated or arrived != plan.count:
        # The fleet changed under the offsets (see the module's doc).
        log.info("the fleet changed during full poll %s (counts %s): repairing", g, sorted(counts))
        pages += _reread_tail(model, api_factory, builder, plan, min(counts), repeated)
        missing = _missing_from_previous(model, builder, set_aside)
        if len(missing) > config.repair_limit:
            unnamed.append(
                f"The fleet changed during the poll: {len(missing)} devices may be missing "
                "until the next poll."
            )
        else:
            repaired, gone = _repair(model, api_factory, config, builder, missing, set_aside)
    if repeated:
        _rewrite_repeated(model, builder, repeated)
    _drop_strays(model, builder)
    published = builder.publish()
    client.delete(keys.poll_pages(g))
    finished = FinishedPoll(
        devices=published.devices,
        pages=pages,
        transitions=published.transitions,
        organizations=published.organizations,
        set_aside=[*set_aside.items(), *((None, reason) for reason in unnamed)],
        repaired=repaired,
        gone=gone,
        org_counts=dict(published.org_counts),
        started_at=plan.started_at,
    )
    return finished, published


def _read_pages(client, key: str, offsets: list[int]) -> dict[int, _StoredPage]:
    stored = {}
    for start in range(0, len(offsets), 200):
        chunk = offsets[start : start + 200]
        for offset, raw in zip(chunk, client.hmget(key, [str(o) for o in chunk]), strict=True):
            if raw is not None:
                stored[offset] = _DECODE_PAGE.decode(raw)
    return stored


def _adopt(builder: SnapshotBuilder, entries: list[IndexEntry], repeated: set[int]) -> None:
    """Adopt a page's entries, noting the devices an earlier page already brought."""
    repeated.update(e.id for e in entries if e.id in builder)
    builder.adopt(entries)


def _reread_tail(model, api_factory, builder, plan: FullPollPlan, smallest: int, repeated) -> int:
    """Read again from one page before the smallest count seen to the end: devices
    created during the poll are listed last. Returns the pages read."""
    size, g = plan.page_size, plan.generation
    offset, count, pages = max(0, smallest - size), smallest, 0
    with api_factory() as api:
        while offset < count or pages == 0:
            page = api.read_device_page(
                read_device_cache_page, limit=size, offset=offset, **LIST_QUERY
            )
            # Written and adopted here, after every range: these copies land last and win.
            _adopt(builder, write_page(model.client, model.keys.p, g, page.items), repeated)
            count, offset, pages = page.count, offset + size, pages + 1
    return pages


def _missing_from_previous(model, builder, set_aside) -> list[int]:
    """Devices of the current snapshot that no page of this poll brought."""
    info = model.snapshot_info()
    if info is None:
        return []
    missing = []
    for up in (True, False):
        for raw in model.client.sscan_iter(model.keys.status(info.generation, up), count=10000):
            device_id = int(raw)
            if device_id not in builder and device_id not in set_aside:
                missing.append(device_id)
    return sorted(missing)


def _repair(model, api_factory, config, builder, missing: list[int], set_aside) -> tuple[int, int]:
    """Fetch each missing device as "refresh now" does: found, it joins the generation;
    404, it was deleted upstream. Returns (fetched, gone)."""
    if not missing:
        return 0, 0
    local = threading.local()
    clients: list = []

    def fetch(device_id):
        api = getattr(local, "api", None)
        if api is None:
            api = local.api = api_factory()
            clients.append(api)
        try:
            return api.get_device(device_id, pending=True, update_status=True)
        except errors.NotFound:
            return None

    try:
        with ThreadPoolExecutor(max_workers=max(1, min(config.parallel, len(missing)))) as pool:
            found = [d for d in pool.map(fetch, missing) if d is not None]
    finally:
        for api in clients:
            api.close()
    rows = []
    for device in found:
        try:
            rows.append(CacheRow(device, storable_row(device)))
        except UnstorableDevice as record:
            set_aside[record.device_id] = record.reason
    builder.adopt(write_page(model.client, model.keys.p, builder.generation, rows))
    log.info("full poll repair: %s devices fetched, %s gone", len(found), len(missing) - len(found))
    return len(missing), len(missing) - len(found)


def _rewrite_repeated(model, builder, repeated: set[int]) -> None:
    """A device on two pages, stored by two processes: whichever row landed last is kept,
    and its memberships and scores are written again from it so that all agree."""
    client, keys, g = model.client, model.keys, builder.generation
    ids = sorted(repeated)
    rows = [
        CacheRow(orjson.loads(row), row)
        for row in client.hmget(keys.dev(g), [str(i) for i in ids])
        if row is not None
    ]
    builder.adopt(write_page(client, keys.p, g, rows))


def _drop_strays(model, builder) -> None:
    """Remove what no adopted page holds: a device only an earlier run of a redelivered
    range brought, or left in the other status set by it. Cheap when there is none
    (two SCARDs)."""
    client, keys, g = model.client, model.keys, builder.generation
    up, down = keys.status(g, True), keys.status(g, False)
    if client.scard(up) + client.scard(down) == builder.devices:
        return
    both = {int(i) for i in client.sinter(up, down)}
    strays = [
        int(raw)
        for key in (up, down)
        for raw in client.sscan_iter(key, count=10000)
        if int(raw) not in builder
    ]
    rows = client.hmget(keys.dev(g), [str(i) for i in strays]) if strays else []
    with client.pipeline(transaction=False) as pipe:
        for device_id in both:
            if device_id in builder:
                pipe.srem(keys.status(g, not builder.entry(device_id).up), str(device_id))
        for device_id, row in zip(strays, rows, strict=True):
            pipe.srem(up, str(device_id))
            pipe.srem(down, str(device_id))
            if row is not None:
                entry = index_entry_from_cache(orjson.loads(row))
                _forget(pipe, keys, g, entry)
        pipe.execute()
    log.info("full poll %s: removed %s stray devices", g, len(set(strays)))


def _forget(pipe, keys, g: int, entry: IndexEntry) -> None:
    i = str(entry.id)
    if entry.organization_id is not None:
        pipe.srem(keys.org(g, entry.organization_id), i)
    if entry.type_id is not None:
        pipe.srem(keys.type(g, entry.type_id), i)
    pipe.srem(keys.pending(g), i)
    pipe.zrem(keys.sort(g, "status_change"), i)
    pipe.zrem(keys.sort(g, "last_connection"), i)
    pipe.hdel(keys.dev(g), i)
    if entry.serial_number:
        pipe.hdel(keys.serials(g), entry.serial_number)


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off while the finish step holds an index entry
    per device (acyclic tuples): its passes over them free nothing and hold the
    interpreter (docs/PERFORMANCE.md, "Ingest")."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- failures ------------------------------------------------------------------------


SNAPSHOT_KEPT = "The previous snapshot is kept."


def failure_reason(error: BaseException, pages_done: int) -> str:
    """A failed poll in words, for the poll health and the logs."""
    if isinstance(error, PollFailed):
        return str(error)
    if not isinstance(error, errors.ControlAPIError | ValueError):
        return f"The poll stopped: {error!r}"
    said = errors.as_sentence(error)
    if not pages_done:
        return f"{said} {SNAPSHOT_KEPT}"
    pages = f"{pages_done} page{'s' if pages_done != 1 else ''}"
    return f"{said} The poll stopped after {pages}; the previous snapshot is kept."


def as_poll_failure(error: BaseException, pages_done: int) -> BaseException:
    """What a step raises for `error`: PollFailed for the upstream's errors and unreadable
    pages; the error itself otherwise (a time limit, Redis gone)."""
    if isinstance(error, PollFailed) or not isinstance(error, errors.ControlAPIError | ValueError):
        return error
    return PollFailed(failure_reason(error, pages_done))


def record_failure(model, started: datetime, error: BaseException, *, pages: int) -> None:
    poll_outcomes.record_failure(
        model, FLEET, started=started, duration=max(time.time() - started.timestamp(), 0.0),
        reason=failure_reason(error, pages), pages=pages, mode=FULL, error=error,
    )  # fmt: skip


def _drop(model, generation: int) -> None:
    try:
        model.delete_generation(generation)
        model.client.zrem(model.keys.gc, str(generation))
    except redis.RedisError:
        # Redis is gone: the abandon deadline deletes it later.
        log.warning("could not drop generation %s", generation)
