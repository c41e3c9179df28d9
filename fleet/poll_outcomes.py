"""A poll's end, told to the poll health (the operations panel and /metrics read it) and
to the log: one place for the fleet's full and incremental polls and the profile poll."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import redis

from fleet.poll_failures import failure_kind
from fleet.read_model import ReadModel

log = logging.getLogger(__name__)


def record_success(
    model: ReadModel,
    poll: str,
    *,
    started: datetime,
    duration: float,
    devices: int,
    pages: int,
    mode: str,
    set_aside: Sequence[tuple[int | None, str]] = (),
) -> None:
    """`set_aside`: the records the poll could not read or store, (device id or None, why)."""
    for device_id, reason in set_aside:
        log.warning(
            "%s poll (%s) set aside a device record: %s", poll, mode,
            reason if device_id is None else f"id {device_id}: {reason}",
        )  # fmt: skip
    model.poll_succeeded(
        poll, at=started, duration=duration, devices=devices, pages=pages, mode=mode,
        set_aside=set_aside,
    )  # fmt: skip


def record_failure(
    model: ReadModel,
    poll: str,
    *,
    started: datetime,
    duration: float,
    reason: str,
    pages: int,
    mode: str,
    error: BaseException,
) -> None:
    """`reason`: the failure in words; `error` gives its one-word kind for the metrics."""
    log.warning("%s poll (%s) failed: %s", poll, mode, reason)
    try:
        model.poll_failed(
            poll, at=started, duration=duration, error=reason, pages=pages, mode=mode,
            kind=failure_kind(error),
        )  # fmt: skip
    except redis.RedisError:
        log.warning("%s poll failed and Redis is unreachable: %s", poll, reason)
