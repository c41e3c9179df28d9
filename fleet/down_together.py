"""Which Down devices went Down together: the bursts the triage board groups by cause.

ASSUMPTION: devices went Down "together" when their `status_change` (the upstream's
moment of the change to Down) lies within TOGETHER (2 minutes) of the earliest one of
the burst. One upstream failure takes its devices Down within a poll or two of each other;
a burst anchored on its first device spans at most 2 minutes, so a busy fleet's unrelated
churn never chains into one endless group. A device without a `status_change` is in no
burst.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

TOGETHER = timedelta(minutes=2)


def went_down_together(devices: Iterable[Any], *, within: timedelta = TOGETHER) -> list[list[Any]]:
    """The bursts of `devices` (anything with `status_change` and `id`, as
    `controlapi.records.Device`), each in the order its devices went Down, largest first
    (on a tie, the most recent first). Every device with a `status_change` is in exactly
    one burst; a burst may hold one device."""
    timed = sorted(
        (d for d in devices if d.status_change is not None), key=lambda d: (d.status_change, d.id)
    )
    bursts: list[list[Any]] = []
    for device in timed:
        if bursts and device.status_change - bursts[-1][0].status_change <= within:
            bursts[-1].append(device)
        else:
            bursts.append([device])
    bursts.sort(key=lambda b: (-len(b), -_seconds(b)))
    return bursts


def _seconds(burst: Sequence[Any]) -> float:
    return burst[0].status_change.timestamp()
