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
grams); a gram a device no longer has stays posted until the next full poll, which
is harmless because every candidate block is verified against its current text.
"""

from __future__ import annotations

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


def build(
    texts: Iterable[tuple[int, str]], blocks: int
) -> tuple[dict[int, str], dict[bytes, bytes]]:
    """The text blocks and the postings of a whole generation from its devices' (id,
    search text): block number -> block text, gram -> posting."""
    lines: list[list[str]] = [[] for _ in range(blocks)]
    searched: list[list[str]] = [[] for _ in range(blocks)]
    for device_id, search_text in texts:
        b = device_id % blocks
        lines[b].append(line(search_text, device_id))
        searched[b].append(search_text)
    holding: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    block_texts = {}
    for b in range(blocks):
        if not lines[b]:
            continue
        block_texts[b] = "".join(lines[b])
        # The texts alone (no ids), so a gram of digits is not posted for an id.
        source = "\n".join(searched[b]).encode()
        for g in set(zip(source, source[1:], source[2:], strict=False)):
            holding[g].append(b)
    postings = {
        bytes(g): encode_posting(held, blocks)
        for g, held in holding.items()
        if _SEPARATOR_BYTES.isdisjoint(g)
    }
    return block_texts, postings


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
