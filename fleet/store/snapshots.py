"""Generations: a new one written page by page and published at once, and the
retirement of those replaced (see fleet.store.keys, "Snapshots and generations")."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from fleet.store import search_index, search_publish
from fleet.store.current import SnapshotInfo, snapshot_info
from fleet.store.history import Transition
from fleet.store.indexes import ORDER_CHUNK, IndexEntry, cell, status_score, unindex
from fleet.store.keys import Keys
from fleet.store.values import NO_TIME, cache_row, from_epoch, text
from fleet.store.writes import write_page


@dataclass(frozen=True, slots=True)
class PublishedSnapshot:
    generation: int
    devices: int
    organizations: frozenset[int]
    transitions: list[Transition]
    org_counts: dict[int, tuple[int, int]]


def write_orders(
    client: redis.Redis, keys: Keys, generation: int, ranked: Sequence[IndexEntry], start: int
) -> None:
    """Give `ranked` (entries in name order) the ranks `start`, `start + 1`... in the name
    index of an unpublished generation, and the matching scores in its status index."""
    # Members as bytes, as in `write_page`.
    names = {b"%d" % e.id: start + n for n, e in enumerate(ranked)}
    statuses = {b"%d" % e.id: status_score(e.up, start + n) for n, e in enumerate(ranked)}
    with client.pipeline(transaction=False) as pipe:
        pipe.zadd(keys.sort(generation, "name"), names)
        pipe.zadd(keys.sort(generation, "status"), statuses)
        pipe.execute()


class Snapshots:
    """The generations over one client. `grace`: how long a replaced generation
    stays readable."""

    def __init__(self, client: redis.Redis, keys: Keys, grace: timedelta):
        self.client = client
        self.keys = keys
        self.grace = grace

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
        info = snapshot_info(self.client, self.keys)
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
        blocks = self.client.get(k.blocks(generation))
        doomed = k.fixed_of_generation(
            generation, int(blocks) if blocks else search_index.LEGACY_BLOCKS
        )
        doomed += [k.org(generation, int(o)) for o in orgs]
        doomed += [k.type(generation, int(t)) for t in types]
        # UNLINK frees the memory in the background: a large device hash must not
        # stall the readers of the new generation.
        for start in range(0, len(doomed), 500):
            self.client.unlink(*doomed[start : start + 500])


class SnapshotBuilder:
    """Writes one new generation page by page; `publish()` makes it current.

    Each page's rows, set memberships and time scores are written by `write_page`
    (here, or in a worker process), and its index entries adopted here. The name
    order needs the whole fleet, and the search text's blocks and their trigram
    index depend on the fleet's size and hold devices of every page, so both are
    written at publish time.
    """

    def __init__(self, snapshots: Snapshots, generation: int, started_at: datetime):
        self.snapshots = snapshots
        self.client = snapshots.client
        self.keys = snapshots.keys
        self.generation = generation
        self.started_at = started_at
        self._entries: dict[int, IndexEntry] = {}

    @property
    def devices(self) -> int:
        return len(self._entries)

    def __contains__(self, device_id: int) -> bool:
        return device_id in self._entries

    def entry(self, device_id: int) -> IndexEntry:
        """The adopted entry of a device (KeyError: none)."""
        return self._entries[device_id]

    def add(self, devices: Iterable[dict[str, Any]]) -> None:
        """Write one page of devices (cache dicts) and adopt it, in this process."""
        devices = [cache_row(d) for d in devices]
        entries = write_page(self.client, self.keys.p, self.generation, devices)
        if self.adopt(entries):
            # The fleet shifted under the offsets: this page's copies must win.
            write_page(self.client, self.keys.p, self.generation, devices)

    def adopt(self, entries: Iterable[IndexEntry]) -> bool:
        """Take the index entries of a page `write_page` wrote, in page order.

        A device already adopted from an earlier page (the fleet shifted under the
        offsets while the poll ran) keeps this later copy: the memberships only the
        earlier copy had are dropped here. Returns True when that happened; the
        caller must then write this page again, since pages are written concurrently
        and the earlier copy's row and scores may have landed last.
        """
        k, g = self.keys, self.generation
        known = self._entries
        shifted = False
        with self.client.pipeline(transaction=False) as pipe:
            for entry in entries:
                before = known.get(entry.id)
                if before is not None:
                    shifted = True
                    unindex(pipe, k, g, before, entry)
                    if before.serial_number and before.serial_number != entry.serial_number:
                        pipe.hdel(k.serials(g), before.serial_number)
                known[entry.id] = entry
            if shifted:
                pipe.execute()
        return shifted

    def publish(self, *, as_of: datetime | None = None) -> PublishedSnapshot:
        """Write the name and status orders, the search text and its index, then switch
        the pointer.

        Returns what changed against the previous generation: status transitions
        and the Up/Down count per organization.
        """
        k, g, client = self.keys, self.generation, self.client
        entries = self._entries.values()
        ranked = sorted(entries, key=lambda e: e.name_key)
        in_order = [e.id for e in ranked]

        def write_orders_in_chunks():
            # Chunks, not one command deriving the status order from the name order:
            # a command over the whole fleet holds Redis (and every page) for seconds.
            for start in range(0, len(ranked), ORDER_CHUNK):
                write_orders(client, k, g, ranked[start : start + ORDER_CHUNK], start)

        previous = snapshot_info(client, k)
        # The orders are written by a thread here while this thread writes the search
        # text, its index and the cell counts, which do not depend on them: the two
        # overlap instead of adding up.
        with ThreadPoolExecutor(max_workers=1) as background:
            orders = background.submit(write_orders_in_chunks)
            # One cell per organization x type x pending x status present, counted here
            # from the entries rather than written page by page. ASSUMPTION: a few
            # thousand cells at most (a cold query reads them all with one HGETALL).
            cells = Counter((e.organization_id, e.type_id, bool(e.pending), e.up) for e in entries)
            search = search_publish.write_search(
                client, k, g, ((e.id, e.search_text) for e in entries), len(entries), previous
            )
            client.hset(k.cells(g), mapping={"ready": 1, **{cell(*c): n for c, n in cells.items()}})
            orders.result()

        transitions = self._transitions_from(previous) if previous else []
        org_counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for (org, _, _, up), n in cells.items():
            if org is not None:
                org_counts[org][0 if up else 1] += n

        snapshot_time = as_of or self.started_at
        # First-seen times of pending entries: the whole fleet was seen, so entries
        # not in it have cleared (a few thousand fields at most: one HKEYS).
        seen_now = {f"{e.id}|{name}" for e in entries if e.pending for name in e.pending}
        recorded = {text(f) for f in client.hkeys(k.pending_seen)}
        first_seen = {f: self.started_at.timestamp() for f in seen_now - recorded}
        cleared = recorded - seen_now
        with client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    search_publish.take_over(pipe, k, search)
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
                        retire_at = datetime.now(UTC) + self.snapshots.grace
                        pipe.zadd(k.gc, {str(previous.generation): retire_at.timestamp()})
                    pipe.execute()
                    break
                except redis.WatchError:
                    continue  # an in-place write posted grams meanwhile: merge again
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
        k, g, old = self.keys, self.generation, previous.generation
        with self.client.pipeline(transaction=False) as pipe:
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
                        at=from_epoch(entry.status_change)
                        if entry.status_change != NO_TIME
                        else self.started_at,
                    )
                )
        transitions.sort(key=lambda t: (t.at, t.device_id))
        return transitions

    def abandon(self) -> None:
        """Drop the half-written generation now (a failed poll)."""
        self.snapshots.delete_generation(self.generation)
        self.client.zrem(self.keys.gc, str(self.generation))
