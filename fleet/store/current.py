"""The pointer to the current generation (`P fleet:current`), read once per query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import redis

from fleet.store.keys import Keys
from fleet.store.values import from_epoch


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


def snapshot_info(client: redis.Redis, keys: Keys) -> SnapshotInfo | None:
    """The current generation, or None before the first full poll. `client` may be a
    pipeline that watches the pointer."""
    raw = client.hgetall(keys.current)
    if not raw:
        return None
    values = {k.decode(): v.decode() for k, v in raw.items()}
    return SnapshotInfo(
        generation=int(values["gen"]),
        version=int(values.get("version", 0)),
        as_of=from_epoch(values["as_of"]),
        full_as_of=from_epoch(values.get("full_as_of", values["as_of"])),
        devices=int(values.get("devices", 0)),
        sort_version=int(values.get("sortver", 0)),
    )
