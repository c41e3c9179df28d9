"""Writes of devices: a page of a generation not yet published (`write_page`), and
in-place writes to the current generation (incremental polls, "refresh now",
removals), each batch in one transaction that keeps every index in step."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

import orjson
import redis

from controlapi.records import CacheRow, Device, UnstorableDevice, storable_row
from fleet.store import search_index
from fleet.store.current import SnapshotInfo, snapshot_info
from fleet.store.history import Transition, transition_of
from fleet.store.indexes import (
    IndexEntry,
    built_sort_fields,
    index,
    index_entry,
    index_entry_from_cache,
    move_cell,
    track_pending,
    track_serial,
    unindex,
)
from fleet.store.keys import INDEXED_SORTS, Keys
from fleet.store.scripts import scripts
from fleet.store.search_index import block_of, line, without_line
from fleet.store.values import text


class InPlaceWrite(NamedTuple):
    """What `Writes.update_devices` did: the status transitions it observed, and the
    devices it could not store (left as they were)."""

    transitions: list[Transition]
    set_aside: tuple[UnstorableDevice, ...] = ()


def write_page(
    client: redis.Redis, prefix: str, generation: int, devices: Iterable[CacheRow]
) -> list[IndexEntry]:
    """Write one page of devices into a generation that is not published yet: each
    device's row is its cache JSON (the CacheRows `device_pages.read_device_cache_page`
    gives, or `values.cache_row(Device.to_cache())`), stored as it is, and its set
    memberships and time scores are written from its index entry. One pipeline, no
    per-device round trip. Returns the index entries, in page order, for
    `SnapshotBuilder.adopt`.

    A function of plain values (not of a store object), so that whichever worker
    stores a page runs it (fleet.full_poll). A device twice on the page keeps its
    later copy's row; its earlier copy's memberships are dropped by `adopt`.
    """
    k, g = Keys(prefix), generation
    entries: list[IndexEntry] = []
    # Members as bytes: redis-py encodes every argument in Python, and bytes pass at once.
    rows: dict[bytes, bytes] = {}
    statuses: dict[bool, list[bytes]] = defaultdict(list)
    orgs: dict[int, list[bytes]] = defaultdict(list)
    types: dict[int, list[bytes]] = defaultdict(list)
    pending: list[bytes] = []
    serials: dict[str, bytes] = {}
    changed: dict[bytes, float] = {}
    seen: dict[bytes, float] = {}
    for device, row in devices:
        # A Device, or a cache dict (SnapshotBuilder.add).
        entry = index_entry_from_cache(device) if device.__class__ is dict else index_entry(device)
        entries.append(entry)
        i = b"%d" % entry.id
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


class Writes:
    """In-place writes to the current generation over one client."""

    def __init__(self, client: redis.Redis, keys: Keys):
        self.client = client
        self.keys = keys
        self.scripts = scripts(client)

    def _text_blocks(self, pipe, g: int) -> tuple[int, bool]:
        """The generation's number of text blocks, and whether it has a gram index (a
        generation published before the index has neither: LEGACY_BLOCKS, no grams)."""
        blocks = pipe.get(self.keys.blocks(g))
        if blocks is None:
            return search_index.LEGACY_BLOCKS, False
        return int(blocks), True

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
                    info = snapshot_info(pipe, self.keys)
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
        blocks, indexed = self._text_blocks(pipe, g)
        buckets = sorted({block_of(i, blocks) for i in latest})
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
        renamed = {
            str(i): entry.name_key
            for i, entry in new.items()
            if i not in old or old[i].name_key != entry.name_key
        }
        name_scores.update(self._name_slots(pipe, g, renamed))
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
            built_sort_fields(old_cache.get(int(i))) != built_sort_fields(caches[int(i)])
            for i in changed
        )
        transitions = []
        new_grams = {}
        pipe.multi()
        for i in map(int, changed):
            entry, before = new[i], old.get(i)
            unindex(pipe, k, g, before, entry)
            index(pipe, k, g, entry, name_scores[str(i)])
            if cells:
                move_cell(pipe, k, g, before, entry)
            pipe.hset(k.dev(g), str(i), rows[i])
            b = block_of(i, blocks)
            texts[b] = without_line(text(texts.get(b)) or "", i) + line(entry.search_text, i)
            if before is None or before.search_text != entry.search_text:
                new_grams[i] = search_index.new_grams(
                    None if before is None else before.search_text, entry.search_text
                )
            if before is not None and before.up != entry.up:
                transitions.append(transition_of(latest[i], before.up, observed_at))
            track_pending(pipe, k, before, entry, observed_at)
            track_serial(pipe, k, g, before, entry)
        for i in new:
            pipe.hset(k.fresh(g), str(i), observed_at.timestamp())
        for b in {block_of(int(i), blocks) for i in changed}:
            pipe.set(k.text(g, b), texts[b])
        if indexed and new_grams:
            # Posted in the same transaction: a renamed device is found by its new name
            # as soon as the write is visible (its old grams stay posted, harmlessly).
            add = search_index.postings_to_add(new_grams, blocks)
            if add:
                post = {"blocks": blocks, "add": add}
                self.scripts.queue(pipe, "search_post", [k.grams(g)], post)
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
                    info = snapshot_info(pipe, self.keys)
                    if info is None or not ids:
                        return 0
                    return self._remove_in_place(pipe, info, ids)
                except redis.WatchError:
                    continue

    def _remove_in_place(self, pipe, info: SnapshotInfo, ids: list[int]) -> int:
        g, k = info.generation, self.keys
        blocks, _ = self._text_blocks(pipe, g)
        buckets = sorted({block_of(i, blocks) for i in ids})
        pipe.watch(k.dev(g), *(k.text(g, b) for b in buckets))
        rows = pipe.hmget(k.dev(g), [str(i) for i in ids])
        gone = [index_entry_from_cache(orjson.loads(row)) for row in rows if row is not None]
        texts = dict(zip(buckets, pipe.mget([k.text(g, b) for b in buckets]), strict=True))
        cells = bool(pipe.exists(k.cells(g)))
        pipe.multi()
        for entry in gone:
            i = str(entry.id)
            if cells:
                move_cell(pipe, k, g, entry, None)
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
            b = block_of(entry.id, blocks)
            texts[b] = without_line(text(texts[b]) or "", entry.id)
            track_pending(pipe, k, entry, None, info.as_of)
            track_serial(pipe, k, g, entry, None)
        for b in buckets:
            pipe.set(k.text(g, b), texts[b])
        pipe.hincrby(k.current, "version", 1)
        if gone:
            pipe.hincrby(k.current, "sortver", 1)
        pipe.hset(k.current, "devices", max(info.devices - len(gone), 0))
        pipe.execute()
        return len(gone)

    def _name_slots(self, pipe, g: int, renamed: dict[str, tuple[str, int]]) -> dict[str, float]:
        """Name scores that place renamed devices (member -> name key) in the name order
        without renumbering: each one's gap by binary search over the ranks (log n
        lookups); devices landing in one gap share it evenly, in name order. The next
        full poll renumbers everything."""
        name_index = self.keys.sort(g, "name")
        by_gap: dict[int, list[tuple[tuple[str, int], str]]] = defaultdict(list)
        for member, name_key in renamed.items():
            by_gap[self._name_gap(pipe, g, name_key)].append((name_key, member))
        scores = {}
        for gap, group in by_gap.items():
            left = pipe.zrange(name_index, gap - 1, gap - 1, withscores=True) if gap > 0 else []
            right = pipe.zrange(name_index, gap, gap, withscores=True)
            spaces = len(group) + 1
            if left:
                low = left[0][1]
                high = right[0][1] if right else low + spaces
            else:
                high = right[0][1] if right else float(spaces)
                low = high - spaces
            step = (high - low) / spaces
            for n, (_, member) in enumerate(sorted(group), start=1):
                scores[member] = low + n * step
        return scores

    def _name_gap(self, pipe, g: int, name_key: tuple[str, int]) -> int:
        """The rank before which `name_key` belongs in the current name order."""
        k = self.keys
        name_index = k.sort(g, "name")
        lo, hi = 0, int(pipe.zcard(name_index))
        while lo < hi:
            mid = (lo + hi) // 2
            member = pipe.zrange(name_index, mid, mid)[0]
            other = orjson.loads(pipe.hget(k.dev(g), member))
            if ((other.get("name") or "").casefold(), other["id"]) < name_key:
                lo = mid + 1
            else:
                hi = mid
        return lo
