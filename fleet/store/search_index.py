"""The search text of a generation and its trigram index (docs/ARCHITECTURE.md, "Search").

A device's search text (`IndexEntry.search_text`: its fields, lower case, joined by
the unit separator) is one line "text<TAB>id<LF>" in the text block `id % blocks`;
a generation has about one block per BLOCK_DEVICES devices (`block_count`), so a
block is a short string that a script verifies candidates against. The index maps
each trigram of the UTF-8 bytes of the texts to the blocks holding it (a posting),
all in one hash `fleet:g:grams`. A posting is one string:

- "L" then the block numbers, sorted, two bytes each (big-endian): a sparse gram;
- "B" then a bitmap of `blocks` bits, block b at byte b // 8, bit b % 8 (the least
  significant first): a dense gram, when that is shorter than the list.

A needle's matches lie in the blocks holding all its trigrams, so the search script
(fleet/lua/search.lua) intersects their postings and scans only those blocks' text
with the plain substring match a scan of everything would use: the same answers,
at the cost of the candidates. In-place writes only add postings (a device's new
grams); a gram a device no longer has stays posted until the index is next built
(fleet.store.search_publish says when), which is harmless because every candidate
block is verified against its current text.
"""

from __future__ import annotations

import hashlib
import struct
from collections import defaultdict
from collections.abc import Iterable, Mapping

# Devices per text block at a full poll: a candidate block costs a scan of this many
# lines, and fewer devices per block make more (gram, block) pairs to keep.
BLOCK_DEVICES = 16
# Block numbers are two bytes in a posting list.
MAX_BLOCKS = 1 << 16
# A generation published before the index had this many text buckets and no grams
# (its searches scan every bucket).
LEGACY_BLOCKS = 256
GRAM = 3
# Grams spanning two fields or two texts cannot be in a needle (normalise_search
# removes these characters): they are not posted.
_SEPARATOR_BYTES = frozenset(b"\t\n\x1f\r")


def block_count(devices: int) -> int:
    """The text blocks of a generation of `devices` devices."""
    return max(1, min(MAX_BLOCKS, -(-devices // BLOCK_DEVICES)))


def block_of(device_id: int, blocks: int) -> int:
    return device_id % blocks


def line(search_text: str, device_id: int) -> str:
    return f"{search_text}\t{device_id}\n"


def without_line(text: str, device_id: int) -> str:
    """The block text without this device's line."""
    marker = f"\t{device_id}\n"
    at = text.find(marker)
    if at < 0:
        return text
    start = text.rfind("\n", 0, at) + 1
    return text[:start] + text[at + len(marker) :]


def grams(text: bytes) -> set[bytes]:
    """The trigrams of `text` that a needle can hold."""
    found = set(zip(text, text[1:], text[2:], strict=False))
    return {bytes(g) for g in found if _SEPARATOR_BYTES.isdisjoint(g)}


def encode_posting(blocks_holding: list[int], blocks: int) -> bytes:
    """The posting of a gram held by `blocks_holding` (ascending) of `blocks` blocks."""
    bitmap_size = -(-blocks // 8)
    if 2 * len(blocks_holding) < bitmap_size:
        return b"L" + struct.pack(f">{len(blocks_holding)}H", *blocks_holding)
    bitmap = bytearray(bitmap_size)
    for b in blocks_holding:
        bitmap[b >> 3] |= 1 << (b & 7)
    return b"B" + bytes(bitmap)


def split(texts: Iterable[tuple[int, str]], blocks: int) -> tuple[dict[int, str], dict[int, bytes]]:
    """The devices' (id, search text) in their blocks: block number -> block text, and
    block number -> the bytes its grams are taken from (its texts alone, without the
    ids, so that a gram of digits is not posted for an id)."""
    lines: list[list[str]] = [[] for _ in range(blocks)]
    searched: list[list[str]] = [[] for _ in range(blocks)]
    for device_id, search_text in texts:
        b = device_id % blocks
        lines[b].append(line(search_text, device_id))
        searched[b].append(search_text)
    block_texts = {b: "".join(held) for b, held in enumerate(lines) if held}
    sources = {b: "\n".join(searched[b]).encode() for b in block_texts}
    return block_texts, sources


def holding(sources: Mapping[int, bytes]) -> dict[bytes, list[int]]:
    """Gram -> the blocks (ascending) whose source holds it."""
    held: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for b in sorted(sources):
        source = sources[b]
        for g in set(zip(source, source[1:], source[2:], strict=False)):
            held[g].append(b)
    return {bytes(g): bs for g, bs in held.items() if _SEPARATOR_BYTES.isdisjoint(g)}


def digest(source: bytes) -> bytes:
    """A block's fingerprint: equal sources, equal grams."""
    return hashlib.blake2b(source, digest_size=8).digest()


def with_blocks(posting: bytes | None, added: Iterable[int], blocks: int) -> bytes:
    """`posting` (None: the gram is new) with `added` blocks posted too, in the format
    `encode_posting` would choose for the result."""
    if posting is not None and posting[:1] == b"B":
        bitmap = bytearray(posting[1:])
        for b in added:
            bitmap[b >> 3] |= 1 << (b & 7)
        return b"B" + bytes(bitmap)
    held = set(struct.unpack(f">{(len(posting) - 1) // 2}H", posting[1:])) if posting else set()
    held.update(added)
    return encode_posting(sorted(held), blocks)


def new_grams(before: str | None, after: str) -> set[bytes]:
    """The grams a rewritten device's block must be posted for: those of its new text
    that its old text did not have (the old ones are posted already)."""
    added = grams(after.encode())
    if before is not None:
        added -= grams(before.encode())
    return added


def postings_to_add(changes: Mapping[int, set[bytes]], blocks: int) -> dict[str, list[int]]:
    """The argument of fleet/lua/search_post.lua: gram (in hex: JSON text cannot carry
    arbitrary bytes) -> the blocks to post it for, from device id -> its new grams."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for device_id, added in changes.items():
        for g in added:
            wanted[g.hex()].add(device_id % blocks)
    return {g: sorted(bs) for g, bs in wanted.items()}
