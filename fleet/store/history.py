"""Status history: the fleet timeline, each device's transitions, the Up/Down counts
per organization per poll, and flapping."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis

from controlapi.records import Device
from fleet.store.keys import Keys
from fleet.store.values import from_epoch

# Flapping: 3 or more status transitions in the last hour. The one definition; the
# selectors and the triage board use these defaults.
FLAP_MIN_TRANSITIONS = 3
FLAP_WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Transition:
    device_id: int
    organization_id: int | None
    from_status: str
    to_status: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Flapper:
    device_id: int
    organization_id: int | None
    transitions: int


@dataclass(frozen=True, slots=True)
class CountPoint:
    at: datetime
    up: int
    down: int


def transition_of(device: Device, was_up: bool, observed_at: datetime) -> Transition:
    """The transition of a device rewritten in place whose status changed."""
    return Transition(
        device_id=device.id,
        organization_id=device.organization_id,
        from_status="Up" if was_up else "Down",
        to_status=device.status if device.status in ("Up", "Down") else "Down",
        # The upstream's own time of the change when it gives one; else when we saw it.
        at=device.status_change or observed_at,
    )


def _transition(fields: Mapping[bytes, bytes]) -> Transition:
    """The transition a timeline entry holds (its fields as `record_transitions` writes them)."""
    organization = fields[b"o"]
    return Transition(
        device_id=int(fields[b"d"]),
        organization_id=int(organization) if organization else None,
        from_status=fields[b"f"].decode(),
        to_status=fields[b"t"].decode(),
        at=from_epoch(fields[b"at"].decode()),
    )


def _in_scope(t: Transition, org_ids: frozenset[int] | None) -> bool:
    return org_ids is None or t.organization_id in org_ids


class History:
    """The history keys over one client. `window`: how far back history reaches;
    `organization_of(device_id)`: the device's organization in the current snapshot
    (None when it has none or is absent), to scope one device's history."""

    # Timeline entries per XRANGE when a whole stretch of it is read.
    read_chunk = 5000

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        window: timedelta,
        organization_of: Callable[[int], int | None],
    ):
        self.client = client
        self.keys = keys
        self.window = window
        self.organization_of = organization_of

    def record_transitions(self, transitions: Iterable[Transition], *, now: datetime) -> int:
        """Append transitions to the fleet timeline and to each device's own history,
        dropping whatever is older than the history window."""
        k = self.keys
        horizon = now - self.window
        min_id = f"{int(horizon.timestamp() * 1000)}-0"
        count = 0
        entry_id = self._stream_ids([k.transitions], now)
        with self.client.pipeline(transaction=False) as pipe:
            for t in transitions:
                fields = {
                    "d": t.device_id,
                    "o": "" if t.organization_id is None else t.organization_id,
                    "f": t.from_status,
                    "t": t.to_status,
                    "at": t.at.timestamp(),
                }
                pipe.xadd(k.transitions, fields, id=entry_id)
                device_key = k.device_history(t.device_id)
                # The recording time leads the member: equal scores (two changes in
                # one second) then sort in the order they were recorded.
                member = f"{time.time_ns()}|{t.at.timestamp()!r}|{t.from_status}|{t.to_status}"
                pipe.zadd(device_key, {member: t.at.timestamp()})
                pipe.zremrangebyscore(device_key, "-inf", horizon.timestamp())
                pipe.expire(device_key, int(self.window.total_seconds()))
                count += 1
            # Trim by time: the stream id is the time of recording, never before `at`
            # (so reading "since t" from id t finds every transition at or after t).
            pipe.xtrim(k.transitions, minid=min_id, approximate=False)
            pipe.execute()
        return count

    def transitions_since(
        self,
        since: datetime,
        *,
        device_id: int | None = None,
        org_ids: frozenset[int] | None = None,
        limit: int = 1000,
    ) -> list[Transition]:
        """Transitions at or after `since`, oldest first, within `org_ids` (None: all)."""
        if device_id is not None:
            raw = self.client.zrangebyscore(
                self.keys.device_history(device_id), since.timestamp(), "+inf"
            )
            found = []
            for member in raw:
                _, at, before, after = member.decode().split("|")
                found.append(Transition(device_id, None, before, after, from_epoch(at)))
            if org_ids is not None and found:
                organization = self.organization_of(device_id)
                if organization not in org_ids:
                    return []
                found = [
                    Transition(t.device_id, organization, t.from_status, t.to_status, t.at)
                    for t in found
                ]
            return found[-limit:]
        found = [t for t in self._timeline(since) if _in_scope(t, org_ids)]
        return found[-limit:]

    def transitions_after(
        self, after_id: str, *, count: int = 5000
    ) -> list[tuple[str, Transition]]:
        """At most `count` transitions recorded after the stream entry `after_id` ("0-0":
        from the oldest kept), in the order recorded, each with its entry id: a reader that
        keeps the last id it handled reads each transition once. Entries of one poll share
        the id's time part (one `record_transitions` call)."""
        entries = self.client.xrange(
            self.keys.transitions, min=f"({after_id}", max="+", count=count
        )
        return [(entry_id.decode(), _transition(fields)) for entry_id, fields in entries]

    def newest_transition_id(self) -> str:
        """The id of the newest transition recorded ("0-0" when none)."""
        newest = self.client.xrevrange(self.keys.transitions, count=1)
        return newest[0][0].decode() if newest else "0-0"

    def _entries(self, since: datetime):
        """The timeline's entries recorded at or after `since`, oldest first, read a chunk
        per command: one command returning a busy hour whole would hold Redis, which
        answers nobody else meanwhile."""
        start = f"{int(since.timestamp() * 1000)}-0"
        while True:
            entries = self.client.xrange(
                self.keys.transitions, min=start, max="+", count=self.read_chunk
            )
            yield from entries
            if len(entries) < self.read_chunk:
                return
            start = f"({entries[-1][0].decode()}"

    def _timeline(self, since: datetime) -> list[Transition]:
        found = [_transition(fields) for _, fields in self._entries(since)]
        found = [t for t in found if t.at >= since]
        found.sort(key=lambda t: (t.at, t.device_id))
        return found

    def flapping_devices(
        self,
        *,
        now: datetime,
        window: timedelta = FLAP_WINDOW,
        min_transitions: int = FLAP_MIN_TRANSITIONS,
        org_ids: frozenset[int] | None = None,
    ) -> list[Flapper]:
        """Devices with at least `min_transitions` transitions in the last `window`,
        most restless first."""
        counts: Counter[int] = Counter()
        orgs: dict[int, int | None] = {}
        since = (now - window).timestamp()
        # Only the fields a count needs are read: every notification run counts the hour.
        for _, fields in self._entries(now - window):
            if float(fields[b"at"]) < since:
                continue
            organization = fields[b"o"]
            organization_id = int(organization) if organization else None
            if org_ids is None or organization_id in org_ids:
                device_id = int(fields[b"d"])
                counts[device_id] += 1
                orgs[device_id] = organization_id
        flappers = [
            Flapper(device_id, orgs[device_id], n)
            for device_id, n in counts.items()
            if n >= min_transitions
        ]
        flappers.sort(key=lambda f: (-f.transitions, f.device_id))
        return flappers

    def record_org_counts(self, counts: Mapping[int, tuple[int, int]], *, at: datetime) -> None:
        """One point per organization (and one for the whole fleet) of Up/Down counts."""
        k = self.keys
        min_id = f"{int((at - self.window).timestamp() * 1000)}-0"
        total_up = sum(up for up, _ in counts.values())
        total_down = sum(down for _, down in counts.values())
        series = {**{str(o): c for o, c in counts.items()}, "all": (total_up, total_down)}
        # One id for every series of this poll, so the points line up across them.
        entry_id = self._stream_ids([k.org_history(o) for o in series], at)
        with self.client.pipeline(transaction=False) as pipe:
            if counts:
                pipe.sadd(k.history_orgs, *counts.keys())
            for org, (up, down) in series.items():
                pipe.xadd(k.org_history(org), {"u": up, "d": down}, id=entry_id)
                pipe.xtrim(k.org_history(org), minid=min_id, approximate=True)
            pipe.execute()

    def _stream_ids(self, streams: list[str], at: datetime) -> str:
        """A stream entry id for `at` that none of `streams` refuses: Redis wants ids
        to grow, so a clock that stepped back gets the newest existing time instead."""
        with self.client.pipeline(transaction=False) as pipe:
            for stream in streams:
                pipe.xrevrange(stream, count=1)
            newest = pipe.execute()
        ms = int(at.timestamp() * 1000)
        for entries in newest:
            if entries:
                ms = max(ms, int(entries[0][0].split(b"-")[0]))
        return f"{ms}-*"

    def org_counts_series(
        self, *, since: datetime, until: datetime, org_ids: frozenset[int] | None
    ) -> dict[int | str, list[CountPoint]]:
        """Up/Down counts per poll between `since` and `until`, per organization;
        for every organization (`org_ids` None) the whole fleet comes under "all"."""
        k = self.keys
        if org_ids is None:
            wanted: list[int | str] = ["all"] + sorted(
                int(o) for o in self.client.smembers(k.history_orgs)
            )
        else:
            wanted = sorted(org_ids)
        start = f"{int(since.timestamp() * 1000)}-0"
        end = f"{int(until.timestamp() * 1000)}-18446744073709551615"
        with self.client.pipeline(transaction=False) as pipe:
            for org in wanted:
                pipe.xrange(k.org_history(org), min=start, max=end)
            answers = pipe.execute()
        series = {}
        for org, entries in zip(wanted, answers, strict=True):
            series[org] = [
                CountPoint(
                    at=from_epoch(int(entry_id.decode().split("-")[0]) / 1000),
                    up=int(fields[b"u"]),
                    down=int(fields[b"d"]),
                )
                for entry_id, fields in entries
            ]
        return series
