"""Poll services: bring the upstream's fleet and profiles into the read model.

Plain Python (no Django): each service takes the read model, a factory of
`controlapi.ControlAPI` clients and its configuration, so tests and benchmarks
run them against the simulator with a key prefix of their own. Celery tasks
(devices.tasks) read settings and call these.

- `poll_fleet`: a full poll (every device, a new generation published at once)
  or an incremental one (devices whose status changed since the snapshot's
  time, updated in place). One poll at a time, under a renewed Redis lock.
- `poll_profiles`: the connection profiles, one snapshot document.
- `refresh_device`: one device fetched for a page or a "refresh now", with
  concurrent callers for the same device sharing one upstream call.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from controlapi import errors
from controlapi.device_pages import read_device_cache_page
from controlapi.records import Device
from fleet import full_poll, poll_outcomes
from fleet.locks import KeepAlive, RedisLock
from fleet.poll_failures import LockLost, PollFailed
from fleet.read_model import ReadModel
from fleet.store.history import Transition

log = logging.getLogger(__name__)

FLEET = "fleet"
PROFILES = "profiles"
FULL = "full"
INCREMENTAL = "incremental"

ApiFactory = Callable[[], object]  # returns a controlapi.ControlAPI (a context manager)


@dataclass(frozen=True, slots=True)
class PollConfig:
    """How the fleet poll runs. Defaults match the documented settings' defaults.

    - `page_size`: devices per upstream request (the upstream caps it at 100).
    - `parallel`: upstream requests in flight at once during a poll.
    - `interval`: seconds between scheduled polls (POLL_INTERVAL_SECONDS).
    - `full_every`: a full poll at least this often (seconds); incremental polls
      in between. 0 makes every poll full.
    - `overlap`: an incremental poll asks for changes since the snapshot's time
      minus this many seconds, so clock skew between us and the upstream, and
      changes made while the previous poll ran, are not missed.
    - `lock_ttl`: expiry of the poll lock (renewed every third of it); a killed
      worker blocks polling at most this long.
    - `abandon_after`: a generation not published within this many seconds is
      deleted by a later poll (a worker died mid-poll).
    - `repair_limit`: at most this many devices a full poll fetches one by one when
      the fleet changed under its pages (fleet.full_poll); more, and the snapshot is
      published with the poll health saying how many may be missing. 500 requests of
      about 250 ms, 8 at a time, add some 16 s to the poll.
    - `pages_per_range`: pages one task of a full poll fetches and stores
      (fleet.full_poll): enough that a task's overhead is small against its
      fetches, few enough that a worker lost mid-range costs little.
    """

    page_size: int = 100
    parallel: int = 8
    interval: float = 30.0
    full_every: float = 600.0
    overlap: float = 60.0
    lock_ttl: float = 60.0
    abandon_after: float = 3600.0
    repair_limit: int = 500
    pages_per_range: int = 10


@dataclass(slots=True)
class PollReport:
    mode: str | None
    skipped: bool = False  # another poll held the lock
    devices: int = 0
    pages: int = 0
    duration: float = 0.0
    transitions: list[Transition] = field(default_factory=list)
    organizations: frozenset[int] = frozenset()
    # Records left out because they could not be read or stored: (device id or None, why).
    set_aside: list[tuple[int | None, str]] = field(default_factory=list)
    # Up/Down per organization as this poll recorded them, and the poll's start (their time).
    org_counts: dict[int, tuple[int, int]] = field(default_factory=dict)
    started_at: datetime | None = None


def _now() -> datetime:
    return datetime.now(UTC)


# --- the fleet -------------------------------------------------------------------


def poll_fleet(
    *,
    model: ReadModel,
    api_factory: ApiFactory,
    config: PollConfig,
    mode: str | None = None,
    on_page: Callable[[int], None] | None = None,
) -> PollReport:
    """Run one fleet poll in this process unless another is running (then `skipped`).

    `mode` forces FULL or INCREMENTAL; by default a poll is full when there is no
    snapshot yet or the last full one is older than `config.full_every`. A full poll
    runs the steps of fleet.full_poll here (a Celery worker hands its ranges to other
    workers instead: devices.tasks).
    `on_page(pages_written)` is called after each page reaches Redis (progress;
    the tests use it to hold a poll half-way).
    Raises PollFailed (after recording it in the poll health) when a page fails.
    """
    chosen = mode or choose_mode(model, config, _now())
    if chosen == FULL:
        return _full_poll(model, api_factory, config, on_page)
    lock = RedisLock(model.client, model.keys.poll_lock(FLEET), config.lock_ttl)
    if not lock.acquire():
        return PollReport(mode=None, skipped=True)
    started = _now()
    clock = time.monotonic()
    pages = _PageCounter(on_page)
    try:
        with KeepAlive(lock) as keep_alive:
            model.poll_started(FLEET, at=started, mode=chosen)
            report = _incremental_poll(model, api_factory, config, started, keep_alive, pages)
        report.duration = time.monotonic() - clock
        poll_outcomes.record_success(
            model,
            FLEET,
            started=started,
            duration=report.duration,
            devices=report.devices,
            pages=report.pages,
            mode=chosen,
            set_aside=report.set_aside,
        )
        model.collect_garbage(_now())
        return report
    except (errors.ControlAPIError, PollFailed, ValueError) as error:
        # ValueError: a page the client could not read as devices.
        reason = full_poll.failure_reason(error, pages.count)
        _record_failure(model, FLEET, started, clock, reason, pages.count, chosen, error)
        raise PollFailed(reason) from error
    except Exception as error:
        # Anything else (a time limit, Redis gone): still tell the operations panel.
        reason = f"The poll stopped: {error!r}"
        _record_failure(model, FLEET, started, clock, reason, pages.count, chosen, error)
        raise
    finally:
        lock.release_quietly()


def _full_poll(model, api_factory, config, on_page) -> PollReport:
    """The three steps of fleet.full_poll in this process: ranges two at a time (sharing
    the process's `config.parallel` fetch threads), so one's last pages overlap the
    next one's first."""
    pages = _PageCounter(on_page)
    guard = threading.Lock()

    def page_done():
        with guard:
            pages.done()

    plan = full_poll.begin_full_poll(model, api_factory, config, on_page=page_done)
    if plan is None:
        return PollReport(mode=None, skipped=True)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            stored = [
                pool.submit(
                    full_poll.store_range,
                    model,
                    api_factory,
                    config,
                    plan,
                    start,
                    end,
                    on_page=page_done,
                )  # fmt: skip
                for start, end in plan.ranges
            ]
            for done in stored:
                done.result()
    except BaseException as error:
        for waiting in stored:
            waiting.cancel()
        full_poll.abandon_full_poll(
            model, plan, error, pages=pages.count, release=not isinstance(error, LockLost)
        )
        failure = full_poll.as_poll_failure(error, pages.count)
        if failure is error:
            raise
        raise failure from error
    finished = full_poll.finish_full_poll(model, api_factory, config, plan)
    return PollReport(
        mode=FULL,
        devices=finished.devices,
        pages=finished.pages,
        duration=finished.duration,
        transitions=finished.transitions,
        organizations=finished.organizations,
        set_aside=finished.set_aside,
        org_counts=finished.org_counts,
        started_at=finished.started_at,
    )


def choose_mode(model: ReadModel, config: PollConfig, now: datetime) -> str:
    """FULL when there is no snapshot yet or the last full one is older than
    `config.full_every`; INCREMENTAL otherwise."""
    info = model.snapshot_info()
    if info is None or config.full_every <= 0:
        return FULL
    if now - info.full_as_of >= timedelta(seconds=config.full_every):
        return FULL
    return INCREMENTAL


def _record_failure(model, poll, started, clock, reason, pages, mode, error) -> None:
    poll_outcomes.record_failure(
        model, poll, started=started, duration=time.monotonic() - clock, reason=reason,
        pages=pages, mode=mode, error=error,
    )  # fmt: skip


class _PageCounter:
    def __init__(self, on_page):
        self.count = 0
        self._on_page = on_page

    def done(self) -> None:
        self.count += 1
        if self._on_page is not None:
            self._on_page(self.count)


_LIST_QUERY = full_poll.LIST_QUERY


def _incremental_poll(model, api_factory, config, started, keep_alive, pages) -> PollReport:
    info = model.snapshot_info()
    since = info.as_of - timedelta(seconds=config.overlap)
    changed: list[Device] = []
    set_aside = []

    def fetch(api, offset, size):
        # Read as a full poll reads its pages, so that a record it cannot read or store
        # is set aside the same way; the few changed devices are then made records.
        page = api.read_device_page(
            read_device_cache_page,
            limit=size, offset=offset, **_LIST_QUERY, last_status_change_from=since,
        )  # fmt: skip
        set_aside.extend((record.device_id, record.reason) for record in page.set_aside)
        return page.count, [row.device for row in page.items]

    fleet = _pages(api_factory, config, keep_alive, fetch)
    with closing(fleet):
        for page in fleet:
            changed.extend(page)
            pages.done()
    if keep_alive.lost.is_set():
        raise LockLost("the poll lock expired before publishing")
    transitions, unstorable = model.update_devices(changed, observed_at=started, as_of=started)
    set_aside.extend((record.device_id, record.reason) for record in unstorable)
    model.record_transitions(transitions, now=_now())
    org_counts = model.current_org_counts()
    model.record_org_counts(org_counts, at=started)
    return PollReport(
        mode=INCREMENTAL,
        org_counts=org_counts,
        started_at=started,
        devices=len(changed),
        pages=pages.count,
        transitions=transitions,
        organizations=frozenset(
            d.organization_id for d in changed if d.organization_id is not None
        ),
        set_aside=set_aside,
    )


def _pages(api_factory, config: PollConfig, keep_alive, fetch) -> Iterator[Any]:
    """What `fetch(client, offset, size)` makes of every page of the device list, in
    offset order; `fetch` returns (the fleet's count as that page gave it, a result).

    The first page gives the count; the other offsets are fetched by a thread
    pool, at most `parallel` at once and a few more queued, while the caller
    consumes earlier results (fetching overlaps writing). If a later page
    reports a larger count (devices added meanwhile), the extra offsets are
    fetched too. Each thread has its own client: a requests.Session is not
    meant to be shared between threads.
    """
    size = config.page_size
    clients = _ThreadClients(api_factory)
    try:
        count, result = fetch(clients.get(), 0, size)
        yield result
        next_offset = size
        window = max(config.parallel, 1) * 2
        with ThreadPoolExecutor(max_workers=max(config.parallel, 1)) as pool:
            inflight: deque[Future] = deque()
            try:
                while inflight or next_offset < count:
                    while next_offset < count and len(inflight) < window:
                        inflight.append(pool.submit(_fetch, clients, fetch, next_offset, size))
                        next_offset += size
                    page_count, result = inflight.popleft().result()
                    if keep_alive.lost.is_set():
                        raise LockLost("lost the poll lock (another worker took over)")
                    count = max(count, page_count)
                    yield result
            finally:
                for future in inflight:
                    future.cancel()
    finally:
        clients.close()


def _fetch(clients, fetch, offset, size):
    return fetch(clients.get(), offset, size)


class _ThreadClients:
    """One upstream client per thread, all closed at the end."""

    def __init__(self, factory: ApiFactory):
        self._factory = factory
        self._local = threading.local()
        self._all: list = []
        self._guard = threading.Lock()

    def get(self):
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._factory()
            with self._guard:
                self._all.append(client)
        return client

    def close(self) -> None:
        for client in self._all:
            client.close()


# --- connection profiles -----------------------------------------------------------


def poll_profiles(
    *, model: ReadModel, api_factory: ApiFactory, lock_ttl: float = 60.0
) -> PollReport:
    """Replace the profile snapshot with every profile's detail (the detail carries
    the health data the profile pages judge). A failure keeps the old snapshot."""
    lock = RedisLock(model.client, model.keys.poll_lock(PROFILES), lock_ttl)
    if not lock.acquire():
        return PollReport(mode=None, skipped=True)
    started = _now()
    clock = time.monotonic()
    fetched = 0
    try:
        with KeepAlive(lock), api_factory() as api:
            model.poll_started(PROFILES, at=started, mode=FULL)
            listed = list(api.iter_profiles())
            details = []
            for profile in listed:
                details.append(api.get_profile(profile.id))
                fetched += 1
        model.write_profiles(details, as_of=started)
        duration = time.monotonic() - clock
        poll_outcomes.record_success(
            model, PROFILES, started=started, duration=duration, devices=len(details),
            pages=fetched, mode=FULL,
        )  # fmt: skip
        return PollReport(mode=FULL, devices=len(details), pages=fetched, duration=duration)
    except (errors.ControlAPIError, ValueError) as error:
        reason = f"{errors.as_sentence(error)} The previous profile snapshot is kept."
        _record_failure(model, PROFILES, started, clock, reason, fetched, FULL, error)
        raise PollFailed(reason) from error
    finally:
        lock.release_quietly()


# --- one device, single flight ------------------------------------------------------


class RefreshTimeout(Exception):
    """Waited too long for another caller's fetch of the same device."""


def refresh_device(
    *,
    model: ReadModel,
    api_factory: ApiFactory,
    device_id: int,
    update_status: bool,
    wait: float = 10.0,
    flight_ttl: float = 15.0,
    result_ttl: float = 10.0,
    on_transitions: Callable[[list[Transition]], None] | None = None,
) -> Device:
    """Fetch one device from the upstream and update it in place in the model.

    A status change the fetch reveals is recorded in the history, as a poll
    records it; `on_transitions(transitions)` is then called with it (only by
    the caller that made the upstream call, and only when there is one), so a
    task can act on it as it does after a poll (end the claims of devices Up for long).

    Single flight: concurrent callers for the same device make one upstream
    call. The first takes a short per-device lock and publishes its answer (or
    its error) under a key named after its lock token; the others wait for that
    key. If the winner dies, its lock expires and a waiter takes over.
    Raises the upstream's error (a ControlAPIError) when the fetch fails; a
    device gone upstream (NotFound) is also removed from the model.
    """
    keys = model.keys
    deadline = time.monotonic() + wait
    while True:
        lock = RedisLock(model.client, keys.flight_lock(device_id), flight_ttl)
        if lock.acquire():
            return _fetch_and_share(
                model, api_factory, device_id, update_status, lock, result_ttl, on_transitions
            )
        holder = lock.holder()
        while holder is not None:
            answer = model.client.get(keys.flight_result(device_id, holder))
            if answer is not None:
                return _shared_answer(device_id, json.loads(answer))
            if time.monotonic() > deadline:
                raise RefreshTimeout(
                    f"Device {device_id} is still being fetched from the control API."
                )
            time.sleep(0.02)
            if lock.holder() != holder:
                # The winner finished (its answer may have landed just now) or died.
                answer = model.client.get(keys.flight_result(device_id, holder))
                if answer is not None:
                    return _shared_answer(device_id, json.loads(answer))
                holder = None
        if time.monotonic() > deadline:
            raise RefreshTimeout(f"Device {device_id} is still being fetched from the control API.")


def _fetch_and_share(
    model, api_factory, device_id, update_status, lock, result_ttl, on_transitions
) -> Device:
    result_key = model.keys.flight_result(device_id, lock.token)
    try:
        try:
            with api_factory() as api:
                # pending=True: the entries' values ("Reboot scheduled at ..."), as polls ask.
                device = api.get_device(device_id, pending=True, update_status=update_status)
        except errors.ControlAPIError as error:
            answer = {"error": str(error), "status": error.status}
            model.client.set(result_key, json.dumps(answer), ex=int(result_ttl))
            if isinstance(error, errors.NotFound):
                model.remove_devices([device_id])
            raise
        seen_at = _now()
        transitions, unstorable = model.update_devices([device], observed_at=seen_at)
        if unstorable:
            error = _unstorable_error(device_id, unstorable[0])
            answer = {"error": str(error), "status": error.status}
            model.client.set(result_key, json.dumps(answer), ex=int(result_ttl))
            raise error
        # Kept apart from the row, which the next poll rewrites without the detail-only fields.
        model.keep_detail(device, read_at=seen_at)
        # The status change a refresh sees is history too: polls that follow compare
        # with the refreshed copy and so never report it themselves.
        model.record_transitions(transitions, now=seen_at)
        answer = {"device": device.to_cache()}
        model.client.set(result_key, json.dumps(answer), ex=int(result_ttl))
    finally:
        lock.release_quietly()
    if transitions and on_transitions is not None:
        on_transitions(transitions)
    return device


def _unstorable_error(device_id: int, record) -> errors.BadResponse:
    """The error a refresh raises for a device the cache cannot hold (told in words, as
    any unreadable answer is), after a warning naming it."""
    log.warning("refresh of device %s set its record aside: %s", device_id, record.reason)
    return errors.BadResponse(
        "GET",
        f"/inventory_device/{device_id}/",
        None,
        f"The control API sent device {device_id} with a value the dashboard cannot store "
        f"({record.reason}). Correct the device in the control API.",
    )


def _shared_answer(device_id: int, answer: dict) -> Device:
    if "device" in answer:
        return Device.from_cache(answer["device"])
    status = answer.get("status")
    cls = errors.error_class_for(status) if status else errors.ControlAPIError
    error = cls("GET", f"/inventory_device/{device_id}/", status)
    error.message = answer["error"]
    raise error
