"""Reads of the current snapshot other than list queries: one device, the records kept
for it, and the organizations, types, firmware images and serial numbers present."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import orjson
import redis

from controlapi.records import Device, storable_row
from fleet.store.current import snapshot_info
from fleet.store.indexes import Derived, cell_values
from fleet.store.keys import KEPT_DETAIL_TTL, Keys
from fleet.store.values import device_of, epoch, from_epoch, read_kept, to_json

# Devices per HMGET when many are read at once (get_devices).
DEVICES_PER_READ = 1000


@dataclass(frozen=True, slots=True)
class CachedDevice:
    device: Device
    as_of: datetime


class FirmwareSeen(NamedTuple):
    """A firmware image that cached devices report: its id, the software version those
    that have installed it run (None when unknown) and how many devices report it."""

    image: int
    version: str | None
    devices: int


class Cell(NamedTuple):
    """One field of a generation's cell counts (`indexes.cell`)."""

    organization_id: int | None
    type_id: int | None
    up: bool
    devices: int


def read_cells(client, keys: Keys, g: int) -> list[Cell] | None:
    """Generation g's cell counts, a few thousand fields kept exact by every write; None
    for a generation published without them."""
    raw = client.hgetall(keys.cells(g))
    if not raw.pop(b"ready", None):
        return None
    cells = []
    for field, n in raw.items():
        org, type_id, _, up = cell_values(field.decode())
        cells.append(Cell(org, type_id, up, int(n)))
    return cells


class Lookups:
    """Reads of the current snapshot over one client. Counts and the types present are
    read from the cell counts where the generation has them: intersecting the sets costs
    Redis a pass over an organization's or a type's devices, which at a million devices
    holds it (and every page) for tenths of a second."""

    def __init__(self, client: redis.Redis, keys: Keys, derived: Derived):
        self.client = client
        self.keys = keys
        self.derived = derived

    def get_device(self, device_id: int) -> CachedDevice | None:
        """One device as the model has it, and how old that is; None when absent."""
        info = snapshot_info(self.client, self.keys)
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
            as_of = max(as_of, from_epoch(fresh))
        return CachedDevice(device_of(row), as_of)

    def get_devices(self, device_ids: Iterable[int]) -> dict[int, Device]:
        """Those of `device_ids` in the current snapshot, by id (absent ones left out), an
        HMGET per DEVICES_PER_READ ids: one HMGET of tens of thousands would hold Redis,
        which answers nobody else meanwhile. A replaced generation is kept for a grace
        period, so every part reads the same one."""
        ids = [str(i) for i in dict.fromkeys(device_ids)]
        info = snapshot_info(self.client, self.keys)
        if info is None or not ids:
            return {}
        key = self.keys.dev(info.generation)
        found = {}
        for start in range(0, len(ids), DEVICES_PER_READ):
            part = ids[start : start + DEVICES_PER_READ]
            rows = self.client.hmget(key, part)
            found.update((int(i), device_of(row)) for i, row in zip(part, rows, strict=True) if row)
        return found

    def organization_of(self, device_id: int) -> int | None:
        """The device's organization in the current snapshot (None: none, or absent)."""
        cached = self.get_device(device_id)
        return None if cached is None else cached.device.organization_id

    def keep_detail(self, device: Device, *, read_at: datetime) -> None:
        """Keep `device`, a detail record read from the upstream at `read_at`, for
        `kept_detail` (pages show its detail-only fields when the upstream fails)."""
        row = storable_row(device)  # UnstorableDevice: nothing is kept
        data = b'{"device":%s,"read_at":%s}' % (row, to_json(epoch(read_at)))
        self.client.set(self.keys.kept_detail(device.id), data, ex=KEPT_DETAIL_TTL)

    def kept_detail(self, device_id: int) -> CachedDevice | None:
        """The last detail record kept for the device and when it was read; None if none."""
        kept = read_kept(self.client, self.keys.kept_detail(device_id), "device")
        return None if kept is None else CachedDevice(Device.from_cache(kept[0]), kept[1])

    def organizations(self) -> set[int]:
        """The organization ids present in the current snapshot."""
        info = snapshot_info(self.client, self.keys)
        if info is None:
            return set()
        return {int(o) for o in self.client.smembers(self.keys.orgs(info.generation))}

    def device_types(self, org_ids: frozenset[int] | None) -> dict[int, str]:
        """Type id -> type_short_name of the types present in the current snapshot
        within `org_ids` (None: all), by name. A type's name is read from any one
        device of that type (ASSUMPTION: the upstream names a type the same on
        every device); a type without a name reads "Type <id>"."""
        info = snapshot_info(self.client, self.keys)
        if info is None or (org_ids is not None and not org_ids):
            return {}
        g, k = info.generation, self.keys
        types = self._types_present(info, org_ids)
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
            t: (device_of(row).type_short_name if row else None) or f"Type {t}"
            for (t, _), row in zip(found, rows, strict=True)
        }
        return dict(sorted(names.items(), key=lambda item: (item[1].casefold(), item[0])))

    def _types_present(self, info, org_ids: frozenset[int] | None) -> list[int]:
        g, k = info.generation, self.keys
        cells = read_cells(self.client, k, g)
        if cells is not None:
            return sorted({
                c.type_id for c in cells
                if c.devices > 0 and c.type_id is not None
                and (org_ids is None or c.organization_id in org_ids)
            })  # fmt: skip
        types = sorted(int(t) for t in self.client.smembers(k.types(g)))
        if org_ids is None or not types:
            return types
        scope = self.derived.scope(info, org_ids)
        with self.client.pipeline(transaction=False) as pipe:
            for t in types:
                pipe.sintercard(2, [k.type(g, t), scope], limit=1)
            present = pipe.execute()
        return [t for t, n in zip(types, present, strict=True) if n]

    def firmware_images(
        self, type_id: int, org_ids: frozenset[int] | None, *, sample: int = 500
    ) -> list[FirmwareSeen]:
        """The firmware images that devices of `type_id` within `org_ids` (None: all) report,
        newest image id first, read from at most `sample` of them. Only a detail read carries
        the image (a list poll does not), so these are the images the cache happens to know."""
        info = snapshot_info(self.client, self.keys)
        if info is None or (org_ids is not None and not org_ids):
            return []
        g, k = info.generation, self.keys
        if org_ids is None:
            ids = self.client.srandmember(k.type(g, type_id), sample)
        else:
            ids = list(self.client.sinter(k.type(g, type_id), self.derived.scope(info, org_ids)))
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
        info = snapshot_info(self.client, self.keys)
        if info is None or not wanted:
            return {}
        ids = self.client.hmget(self.keys.serials(info.generation), wanted)
        return {s: int(i) for s, i in zip(wanted, ids, strict=True) if i is not None}

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
            entry: from_epoch(value)
            for entry, value in zip(wanted, stored, strict=True)
            if value is not None
        }

    def current_org_counts(self) -> dict[int, tuple[int, int]]:
        """Up/Down per organization in the current snapshot (every organization the
        snapshot has known, with (0, 0) for one its devices all left)."""
        info = snapshot_info(self.client, self.keys)
        if info is None:
            return {}
        g, k = info.generation, self.keys
        orgs = sorted(int(o) for o in self.client.smembers(k.orgs(g)))
        cells = read_cells(self.client, k, g)
        if cells is not None:
            counts = {o: [0, 0] for o in orgs}
            for c in cells:
                if c.organization_id is not None:
                    counts.setdefault(c.organization_id, [0, 0])[0 if c.up else 1] += c.devices
            return {o: (up, down) for o, (up, down) in sorted(counts.items())}
        with self.client.pipeline(transaction=False) as pipe:
            for o in orgs:
                pipe.sintercard(2, [k.org(g, o), k.status(g, True)])
                pipe.sintercard(2, [k.org(g, o), k.status(g, False)])
            answers = pipe.execute()
        return {o: (answers[2 * n], answers[2 * n + 1]) for n, o in enumerate(orgs)}
