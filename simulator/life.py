"""Fleet life: devices drop and come back, a few flappers toggle often.

Life advances by the simulated time elapsed since its last advance, so the churn
per minute does not depend on how many requests or how large the pages are.
It runs when a request asks for `update_status=true` (the upstream then queries
the devices) and when a test advances the clock through POST /_sim/advance.
Its random stream is seeded, so the same advances from a reset give the same fleet.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from simulator.device_query import DeviceQuery

if TYPE_CHECKING:  # the state makes its life: only the type is needed here
    from simulator.state import SimulatorState

MIN_STEP_SECONDS = 1.0  # finer steps would only churn the filter cache
STEP_SECONDS = 60.0
MAX_CATCH_UP_SECONDS = 6 * 3600.0  # after a longer idle gap, life resumes from 6 hours ago


class Life:
    def __init__(self, state: SimulatorState):
        self.state = state
        self.rng = random.Random(state.seed * 31 + 7)
        self.last_run = state.now()
        self.carry = 0.0
        self.recovering: dict[int, float] = {}
        low, high = state.settings.flap_seconds
        self.flappers = {
            d.id: self.last_run + self.rng.uniform(low, high)
            for d in state.devices.values()
            if d.flapper
        }

    def forget(self, device_id: int) -> None:
        self.recovering.pop(device_id, None)
        self.flappers.pop(device_id, None)

    def advance(self) -> dict:
        """Apply the life of the time passed since the last advance; a summary of changes.

        Long gaps are walked in steps of at most a minute, so one big advance and
        many small ones give the same amount of churn.
        """
        now = self.state.now()
        elapsed = now - self.last_run
        summary = {"elapsed_seconds": round(max(elapsed, 0.0), 3), "down": [], "up": []}
        if elapsed < MIN_STEP_SECONDS:
            return summary
        start = max(self.last_run, now - MAX_CATCH_UP_SECONDS)
        while start < now:
            end = min(start + STEP_SECONDS, now)
            self._recover(end, summary)
            self._flap(end, summary)
            self._churn(end, end - start, summary)
            start = end
        self.last_run = now
        return summary

    def _recover(self, now: float, summary: dict) -> None:
        devices = self.state.devices
        for device_id, at in sorted(self.recovering.items()):
            if at <= now:
                del self.recovering[device_id]
                device = devices.get(device_id)
                if device is not None and not device.up:
                    self.state.set_up(device, True, at)
                    summary["up"].append(device_id)

    def _flap(self, now: float, summary: dict) -> None:
        low, high = self.state.settings.flap_seconds
        devices = self.state.devices
        for device_id in sorted(self.flappers):
            at = self.flappers[device_id]
            device = devices[device_id]
            if at < now - STEP_SECONDS:
                at = now - self.rng.uniform(0, STEP_SECONDS)
            while at <= now:
                self.state.set_up(device, not device.up, at)
                (summary["up"] if device.up else summary["down"]).append(device_id)
                at += self.rng.uniform(low, high)
            self.flappers[device_id] = at

    def _churn(self, now: float, elapsed: float, summary: dict) -> None:
        settings = self.state.settings
        devices = self.state.devices
        if not devices or settings.churn_per_minute <= 0:
            return
        expected = settings.churn_per_minute * len(devices) * elapsed / 60.0 + self.carry
        drops = int(expected)
        self.carry = expected - drops
        drops = min(drops, len(devices) // 10)
        ids = self.state.filtered_ids(DeviceQuery())
        low, high = settings.recovery_seconds
        for _ in range(drops):
            device = devices[ids[self.rng.randrange(len(ids))]]
            if not device.up or device.flapper or device.id in self.recovering:
                continue  # a pick that cannot drop is simply a quieter minute
            at = now - self.rng.uniform(0, min(elapsed, 60.0))
            self.state.set_up(device, False, at)
            self.recovering[device.id] = at + self.rng.uniform(low, high)
            summary["down"].append(device.id)
