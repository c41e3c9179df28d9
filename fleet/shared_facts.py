"""What a set of devices has in common: the facts a grouped outage message and the
triage board's groups state ("all 312 in organization 5, 290 of type 7, 280 on firmware
2.1.4").

Facts are ids and reported values; the pages and messages that show them put names on
organization and type ids. A connection profile's health is not a device fact: callers
that know it add it (the profile of a device is its type, see fleet.device_selector).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

ORGANIZATION = "organization"
TYPE = "type"
FIRMWARE = "firmware"
LOCATION = "location"

# Each fact and how to read it off a device (controlapi.records.Device).
FACT_READERS = {
    ORGANIZATION: lambda d: d.organization_id,
    TYPE: lambda d: d.type,
    FIRMWARE: lambda d: d.software_version or None,
    LOCATION: lambda d: d.location_name or d.location_short_name or None,
}


@dataclass(frozen=True)
class SharedFact:
    """`count` of `total` devices have `value` for `kind` (the most common value)."""

    kind: str
    value: Any
    count: int
    total: int

    @property
    def shared_by_all(self) -> bool:
        return self.count == self.total


def shared_facts(devices: Sequence[Any], *, at_least: float = 0.5) -> list[SharedFact]:
    """For each fact, its most common known value among `devices`, when at least
    `at_least` of them, and at least two, have it (one device's value is shared with
    nobody); most widely shared first (ties in FACT_READERS order)."""
    total = len(devices)
    if not total:
        return []
    facts = []
    for kind, read in FACT_READERS.items():
        value, count = most_common(read(d) for d in devices)
        if value is not None and count >= max(2, at_least * total):
            facts.append(SharedFact(kind, value, count, total))
    order = list(FACT_READERS)
    facts.sort(key=lambda f: (-f.count, order.index(f.kind)))
    return facts


def most_common(values: Iterable[Any]) -> tuple[Any, int]:
    """The most common value that is not None, and how many times it occurs
    (the smallest by its text on a tie, so that the answer does not depend on order)."""
    counts = Counter(v for v in values if v is not None)
    if not counts:
        return None, 0
    best = max(counts.values())
    return min((v for v, n in counts.items() if n == best), key=str), best
