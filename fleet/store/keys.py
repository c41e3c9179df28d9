"""The Redis key layout of the fleet store: every key name is spelled here.

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
    P fleet:g:text:<n>           search-text block n: lines "text<TAB>id<LF>" of the
                                 devices whose id % blocks is n
    P fleet:g:blocks             string: the number of text blocks (absent: a generation
                                 from before the index, 256 blocks and no grams)
    P fleet:g:grams              hash trigram -> posting: the blocks whose text holds it
                                 (fleet.store.search_index); a full poll whose blocks
                                 mostly hold the same texts takes the previous
                                 generation's hash over (renamed) instead of building one
    P fleet:g:digests            hash block n -> the fingerprint of the texts its grams
                                 were posted for, and "stale" -> how many blocks may hold
                                 grams their texts lost (fleet.store.search_publish)
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
The key's name stays as it is so that first-seen times already stored carry over.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

# Sorts kept as a sorted index per generation, written by every poll: sort -> index name.
SORT_INDEX = {
    "name": "name",
    "status": "status",
    "status_change": "changed",
    "last_connection": "seen",
}
INDEXED_SORTS = tuple(SORT_INDEX)
# Sorts whose index is built from the stored rows when first asked and kept a while
# (fleet.store.indexes.BuiltSorts): an index per key on every poll would cost too much
# memory per device (docs/PERFORMANCE.md, "Memory").
BUILT_SORTS = ("organization", "type", "serial", "customer_id", "location", "software")
SORT_KEYS = INDEXED_SORTS + BUILT_SORTS
# How long the last record read of a device or profile is kept for pages to fall back on.
KEPT_DETAIL_TTL = timedelta(days=7)


class Keys:
    """Key names. Every key the fleet store uses is spelled here and nowhere else."""

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
        return self.gen(g, f"sort:{SORT_INDEX[sort]}")

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

    def texts(self, g: int, blocks: int) -> list[str]:
        return [self.text(g, b) for b in range(blocks)]

    def blocks(self, g: int) -> str:
        return self.gen(g, "blocks")

    def grams(self, g: int) -> str:
        return self.gen(g, "grams")

    def digests(self, g: int) -> str:
        return self.gen(g, "digests")

    def query(self, g: int, version: int, what: str) -> str:
        return self.gen(g, f"q:{version}:{what}")

    def scope(self, g: int, version: int, org_ids: Iterable[int]) -> str:
        """The union of several organizations' sets (ids in ascending order)."""
        return self.query(g, version, "orgs:" + ",".join(map(str, org_ids)))

    def search(self, g: int, version: int, needle_digest: str) -> str:
        return self.query(g, version, f"search:{needle_digest}")

    def since(self, g: int, version: int, score: str) -> str:
        """The devices whose status changed at or after `score` (a changed-since window)."""
        return self.query(g, version, f"since:{score}")

    def result(self, g: int, version: int, digest: str) -> str:
        """A cached filtered result; its counts hash is this name + ":n"."""
        return self.query(g, version, f"r:{digest}")

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

    def poll_pages(self, g: int) -> str:
        """A full poll's pages not yet published: offset -> the page's index entries
        (fleet.full_poll), gone at publication."""
        return self.gen(g, "poll_pages")

    def poll_lock(self, poll: str) -> str:
        return f"{self.p}lock:{poll}"

    def fixed_of_generation(self, g: int, blocks: int) -> list[str]:
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
            self.poll_pages(g),
            self.blocks(g),
            self.grams(g),
            self.digests(g),
            *self.texts(g, blocks),
        ]
