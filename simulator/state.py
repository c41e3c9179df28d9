"""The simulator's state: the fleet, its indexes, the clock and the tunable settings.

All state is touched from the server's event loop only, so it needs no locks.
Filtered id lists are cached per filter and dropped whenever `version` moves
(any change a filter could see), so a page is cut from a kept list instead of
filtering the whole fleet again.
"""

import heapq
import random
import time
from dataclasses import dataclass, field, replace
from itertools import chain

from simulator import catalog, profiles
from simulator.device_query import DeviceQuery
from simulator.fleet import Device, generate_devices
from simulator.life import Life

FILTER_CACHE_SIZE = 256


@dataclass
class Settings:
    """Knobs a test or a demo may turn through POST /_sim/settings."""

    op_delay_seconds: float = 5.0  # how long a device takes to confirm queued work
    update_status_latency_ms: float = 250.0  # added to every update_status=true request
    churn_per_minute: float = 0.001  # share of the fleet that drops per simulated minute
    recovery_seconds: tuple[float, float] = (120.0, 900.0)  # how long a dropped device stays Down
    flap_seconds: tuple[float, float] = (20.0, 120.0)  # time between a flapper's toggles
    default_limit: int = 20  # assumption: the reference only says "system configured"
    max_limit: int = 100  # assumption, from the profile reference ("max: 100")

    def updated(self, changes: dict) -> "Settings":
        return replace(self, **changes)


@dataclass(frozen=True)
class BadImage:
    """A firmware image that misbehaves on devices of one type: "unconfirmed" (the update
    stays pending for ever) or "down" (it applies, then the device goes Down after
    `down_after_seconds` and stays Down)."""

    type_id: int
    failure: str
    down_after_seconds: float = 60.0


BAD_IMAGE_FAILURES = ("unconfirmed", "down")


@dataclass(order=True)
class Due:
    """An entry of the work queue: something that completes at `at`."""

    at: float
    seq: int
    kind: str = field(compare=False)  # "device" (pending op), "headless" or "firmware_down"
    key: object = field(compare=False)


class SimulatorState:
    def __init__(
        self,
        *,
        devices: int,
        seed: int,
        organizations: int = 6,
        settings: Settings | None = None,
        clock=time.time,
    ):
        self.seed = seed
        self.initial_devices = devices
        self.initial_settings = settings or Settings()
        self.organizations = catalog.organizations(organizations)
        self._wall_clock = clock
        self.reset()

    # --- life cycle -------------------------------------------------------

    def reset(self, devices: int | None = None) -> None:
        self.settings = replace(self.initial_settings)
        self.clock_offset = 0.0
        self.anchor = self._wall_clock()
        count = self.initial_devices if devices is None else devices
        self.device_count = count
        fleet = generate_devices(self.seed, count, self.anchor, self.organizations)
        self.devices: dict[int, Device] = {d.id: d for d in fleet}
        self.serials = {d.serial_number: d.id for d in fleet}
        self.next_id = max(self.devices, default=1000) + 1
        self.profiles = profiles.generate_profiles(self.seed, self.anchor)
        self.profiles_by_id = {p["id"]: p for p in self.profiles}
        self.rng = random.Random(self.seed)
        self.version = 0
        self._index_dirty = True
        self._filter_cache: dict[DeviceQuery, list[int]] = {}
        self._cache_version = -1
        self.queue: list[Due] = []
        self._queue_seq = 0
        self.headless: dict[str, dict] = {}
        self.next_txn = 1
        self.operational: dict[int, dict] = {}
        # Firmware images marked bad (/_sim/firmware/{id}/bad): image id -> BadImage.
        self.bad_images: dict[int, BadImage] = {}
        for device in fleet:
            for op in device.pending:
                self.schedule(op.due_at, "device", device.id)
        self.life = Life(self)

    def resize(self, devices: int) -> None:
        """A fresh fleet of another size from the same seed (settings are kept)."""
        settings = self.settings
        self.reset(devices)
        self.settings = settings

    def now(self) -> float:
        """Simulated time: the wall clock plus every explicit advance since the reset."""
        return self._wall_clock() + self.clock_offset

    def changed(self) -> None:
        """Record a change a filter can see (status, status_change, org, type, membership)."""
        self.version += 1

    def structure_changed(self) -> None:
        self.version += 1
        self._index_dirty = True

    # --- work queue -------------------------------------------------------

    def schedule(self, at: float, kind: str, key: object) -> None:
        self._queue_seq += 1
        heapq.heappush(self.queue, Due(at, self._queue_seq, kind, key))

    def pop_due(self, now: float) -> list[Due]:
        due = []
        while self.queue and self.queue[0].at <= now:
            due.append(heapq.heappop(self.queue))
        return due

    # --- devices ----------------------------------------------------------

    def add_device(self, device: Device) -> None:
        self.devices[device.id] = device
        self.serials[device.serial_number] = device.id
        self.next_id = max(self.next_id, device.id + 1)
        self.structure_changed()

    def remove_device(self, device_id: int) -> None:
        device = self.devices.pop(device_id)
        self.serials.pop(device.serial_number, None)
        self.operational.pop(device_id, None)
        self.life.forget(device_id)
        self.structure_changed()

    def set_up(self, device: Device, up: bool, at: float) -> None:
        """Change a device's status, stamping status_change and its last contact."""
        if device.up == up:
            return
        device.up = up
        device.status_change = at
        device.last_change = at
        if up:
            device.last_connection = at
        self.changed()

    # --- queries ----------------------------------------------------------

    def _rebuild_index(self) -> None:
        ids = sorted(self.devices)
        by_org: dict[int, list[int]] = {}
        by_type: dict[int, list[int]] = {}
        for device_id in ids:
            device = self.devices[device_id]
            by_org.setdefault(device.organization_id, []).append(device_id)
            by_type.setdefault(device.type_id, []).append(device_id)
        self._ids, self._by_org, self._by_type = ids, by_org, by_type
        self._scope_ids: dict[frozenset[int], list[int]] = {}
        self._index_dirty = False

    def _candidates(self, query: DeviceQuery) -> tuple[list[int], str]:
        """The narrowest precomputed id list for the query, and which index it came from."""
        if query.organization is not None:
            if query.scope is not None and query.organization not in query.scope:
                return [], "organization"
            return self._by_org.get(query.organization, []), "organization"
        if query.scope is not None:
            if query.scope not in self._scope_ids:
                lists = (self._by_org.get(org, []) for org in query.scope)
                self._scope_ids[query.scope] = sorted(chain.from_iterable(lists))
            return self._scope_ids[query.scope], "scope"
        if query.type is not None:
            return self._by_type.get(query.type, []), "type"
        return self._ids, "all"

    def filtered_ids(self, query: DeviceQuery) -> list[int]:
        """Ids matching the query, ascending (assumption: the upstream orders by id)."""
        if self._index_dirty:
            self._rebuild_index()
        if self._cache_version != self.version:
            self._filter_cache.clear()
            self._cache_version = self.version
        cached = self._filter_cache.get(query)
        if cached is not None:
            return cached
        ids, source = self._candidates(query)
        devices = self.devices
        if query.type is not None and source != "type":
            wanted_type = query.type
            ids = [i for i in ids if devices[i].type_id == wanted_type]
        if query.status is not None:
            wanted = query.status
            ids = [i for i in ids if devices[i].up is wanted]
        if query.changed_from is not None:
            since = query.changed_from
            ids = [
                i
                for i in ids
                if devices[i].status_change is not None and devices[i].status_change >= since
            ]
        if len(self._filter_cache) >= FILTER_CACHE_SIZE:
            self._filter_cache.clear()
        self._filter_cache[query] = ids
        return ids

    def organizations_summary(self) -> list[dict]:
        counts: dict[int, int] = {}
        for device in self.devices.values():
            counts[device.organization_id] = counts.get(device.organization_id, 0) + 1
        return [
            {"id": org.id, "name": org.name, "devices": counts.get(org.id, 0)}
            for org in self.organizations
        ]
