"""The search text and trigram index of a generation being published.

Building the index takes a pass over every (gram, block) pair of the fleet, the
largest part of publishing a full poll. From one full poll to the next, a fleet's
names, serials, customer ids, locations and addresses barely change, so a new
generation with as many blocks as the current one takes the current one's index
over: its hash is renamed to the new generation's in the publishing transaction,
after the grams of the blocks whose texts changed (their fingerprints differ) are
posted into it. Grams those blocks' old texts had stay posted, as after in-place
writes: harmless, since every candidate block is verified against its text, but
each such block costs a search a useless scan. So the index is built afresh once
more than STALE_SHARE of the blocks may hold such grams.

Searches of the replaced generation still running after the rename find no gram
index and scan every block (fleet/lua/search.lua): slower, the same answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import redis

from fleet.store import search_index
from fleet.store.current import SnapshotInfo
from fleet.store.keys import Keys

# ASSUMPTION: searches may scan an eighth of the blocks in vain before a full build.
STALE_SHARE = 1 / 8
_STALE = b"stale"
_CHUNK = 1000


@dataclass(slots=True)
class SearchPlan:
    """What `write_search` left to the publishing transaction."""

    generation: int
    blocks: int
    taken_from: int | None = None  # the generation whose gram index is taken over
    added: dict[bytes, list[int]] = field(default_factory=dict)  # grams of changed blocks
    stale: int = 0  # blocks whose postings may hold grams their texts lost


def write_search(
    client: redis.Redis,
    keys: Keys,
    generation: int,
    texts: Iterable[tuple[int, str]],
    devices: int,
    previous: SnapshotInfo | None,
) -> SearchPlan:
    """Write the text blocks of the unpublished `generation` from its devices' (id,
    search text), their fingerprints, and its gram index unless it can take the
    `previous` generation's over (then `take_over` does, when publishing)."""
    g = generation
    blocks = search_index.block_count(devices)
    block_texts, sources = search_index.split(texts, blocks)
    digests = {str(b): search_index.digest(source) for b, source in sources.items()}
    plan = _reuse(client, keys, g, blocks, sources, digests, previous)
    with client.pipeline(transaction=False) as pipe:
        pipe.set(keys.blocks(g), blocks)
        for chunk in _chunks(list(block_texts.items())):
            pipe.mset({keys.text(g, b): block_text for b, block_text in chunk})
        if plan.taken_from is None:
            _post(pipe, keys.grams(g), search_index.holding(sources), blocks)
        digests[_STALE.decode()] = str(plan.stale).encode()
        for chunk in _chunks(list(digests.items())):
            pipe.hset(keys.digests(g), mapping=dict(chunk))
        pipe.execute()
    return plan


def take_over(pipe, keys: Keys, plan: SearchPlan) -> None:
    """Part of the publishing transaction: `pipe` is a transaction pipeline not yet
    in MULTI. Watches the gram index taken over, posts the changed blocks' grams into
    it and renames it to the new generation's (after `pipe.multi()`, which this
    calls). A write that touches the index meanwhile makes the transaction fail with
    WatchError: the caller runs it again."""
    if plan.taken_from is None:
        pipe.multi()
        return
    old = keys.grams(plan.taken_from)
    pipe.watch(old)
    if not pipe.exists(old):
        # Only the current generation's own deletion removes it: refuse to publish a
        # generation without an index (the poll is abandoned; the next one builds).
        raise RuntimeError(f"the gram index of generation {plan.taken_from} vanished")
    grams = list(plan.added)
    merged = {}
    for chunk in _chunks(grams):
        for gram, posting in zip(chunk, pipe.hmget(old, chunk), strict=True):
            merged[gram] = search_index.with_blocks(posting, plan.added[gram], plan.blocks)
    pipe.multi()
    for chunk in _chunks(list(merged.items())):
        pipe.hset(old, mapping=dict(chunk))
    pipe.rename(old, keys.grams(plan.generation))


def _reuse(client, keys, g, blocks, sources, digests, previous) -> SearchPlan:
    """Whether the previous generation's gram index can be taken over, and the grams
    of the blocks whose texts differ from those it was posted for."""
    fresh = SearchPlan(g, blocks)
    if previous is None:
        return fresh
    old = previous.generation
    with client.pipeline(transaction=False) as pipe:
        pipe.get(keys.blocks(old))
        pipe.exists(keys.grams(old))
        pipe.hgetall(keys.digests(old))
        old_blocks, indexed, old_digests = pipe.execute()
    if not indexed or not old_digests or int(old_blocks or 0) != blocks:
        return fresh
    stale = int(old_digests.pop(_STALE, 0))
    changed = [int(b) for b, d in digests.items() if old_digests.get(b.encode()) != d]
    emptied = sum(1 for b in old_digests if b.decode() not in digests)
    stale += len(changed) + emptied
    if stale > blocks * STALE_SHARE:
        return fresh
    added = search_index.holding({b: sources[b] for b in changed})
    return SearchPlan(g, blocks, taken_from=old, added=added, stale=stale)


def _post(pipe, key: str, held: dict[bytes, list[int]], blocks: int) -> None:
    postings = [(g, search_index.encode_posting(bs, blocks)) for g, bs in held.items()]
    for chunk in _chunks(postings):
        pipe.hset(key, mapping=dict(chunk))


def _chunks(items: list):
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
