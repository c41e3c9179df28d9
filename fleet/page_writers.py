"""Where a full poll reads and stores its pages: in worker processes, or in its own.

For every page of the fleet a full poll reads the upstream's JSON into rows (each
device's cache JSON) and writes them into the new generation (rows, set
memberships, time scores): most of a large poll's Python time when it shares one
interpreter with the fetches (docs/PERFORMANCE.md, "Ingest"). `PageWriters`
does that work in a few worker processes, beside the fetches and on every core;
`LocalWriter` does it in the caller's process (POLL_PROCESSES=0, and tests that
want one process). Both have one method, `write(prefix, generation, body)`, which
reads a body from `ControlAPI.read_device_page` with the client's own rules
(`controlapi.device_pages.read_device_cache_page`) and stores it with the read model's
(`fleet.store.writes.write_page`): this module only moves the work.

Workers are plain subprocesses (`python -m fleet.page_writers`), not
multiprocessing: Celery's prefork children are daemonic processes, and
multiprocessing refuses to start children from those. A worker reads requests on
its stdin and answers on its stdout, one length-prefixed pickle each way (both ends
are this program, so pickle is safe here). Workers start on first use, serve every
later poll of their parent process, and exit when the parent's end of their stdin
closes (the parent exited or was killed).

ASSUMPTION: the workers reach the same Redis as the poller's read model: both are
configured from REDIS_URL (devices.configured), and tests and benchmarks pass the
same URL to both.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, NamedTuple

import hiredis
import msgspec
import redis

from controlapi.device_pages import read_device_cache_page
from controlapi.errors import BadResponse
from fleet.store.indexes import IndexEntry
from fleet.store.snapshots import write_name_order
from fleet.store.writes import write_page

_PROJECT_ROOT = Path(__file__).resolve().parent.parent
_LENGTH = struct.Struct("<Q")
# How long a write waits for a free worker before checking whether one may be started.
_CHECKOUT_POLL = 1.0


class WrittenPage(NamedTuple):
    count: int  # the fleet's size as this page's answer gave it
    entries: list[IndexEntry]  # the page's devices, in page order
    # (device id or None, why) of each record left out: it could not be read or stored
    set_aside: tuple[tuple[int | None, str], ...] = ()

    def __reduce__(self):
        # A worker sends one entry per device to the poller, whose interpreter is the
        # poll's bottleneck: msgpack (msgspec) decodes them in half the time pickle
        # takes, and encodes them in an eighth.
        return (_written_page_of, (self.count, _ENTRIES.encode(self.entries), self.set_aside))


_ENTRIES = msgspec.msgpack.Encoder()
_ENTRIES_OF = msgspec.msgpack.Decoder(list[IndexEntry])


def _written_page_of(count: int, entries: bytes, set_aside=()) -> WrittenPage:
    return WrittenPage(count, _ENTRIES_OF.decode(entries), set_aside)


class WriterFailed(Exception):
    """A worker could not store a page (Redis refused, or the worker died)."""


class LocalWriter:
    """Reads and stores pages in this process."""

    def __init__(self, client: redis.Redis):
        self.client = client

    def write(self, prefix: str, generation: int, body: bytes) -> WrittenPage:
        page = read_device_cache_page(body)  # BadResponse when the body is not a device list
        entries = write_page(self.client, prefix, generation, page.items)
        set_aside = tuple((record.device_id, record.reason) for record in page.set_aside)
        return WrittenPage(page.count, entries, set_aside)

    def write_names(self, prefix: str, generation: int, chunks: list[tuple[int, list[int]]]):
        for start, ids in chunks:
            write_name_order(self.client, prefix, generation, start, ids)


class PageWriters:
    """A pool of `processes` worker processes storing pages in the Redis at `redis_url`.

    `write` may be called from many threads at once; each call uses one idle worker
    (starting one if fewer than `processes` run) and blocks until it answers.
    Raises BadResponse for a body that is not a device list (nothing was written) and
    WriterFailed when the worker could not store it.
    """

    def __init__(self, redis_url: str, processes: int):
        self.redis_url = redis_url
        self.processes = max(1, processes)
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._guard = threading.Lock()
        self._running: set[_Worker] = set()

    def write(self, prefix: str, generation: int, body: bytes) -> WrittenPage:
        return self._call("page", prefix, generation, body)

    def write_names(self, prefix: str, generation: int, chunks: list[tuple[int, list[int]]]):
        """The name order of a generation (`SnapshotBuilder.publish`'s chunks), its
        chunks written by every worker at once."""
        with ThreadPoolExecutor(max_workers=self.processes) as pool:
            for done in [
                pool.submit(self._call, "names", prefix, generation, start, ids)
                for start, ids in chunks
            ]:
                done.result()

    def _call(self, operation: str, prefix: str, generation: int, *arguments):
        worker = self._checkout()
        try:
            reply = worker.call((operation, self.redis_url, prefix, generation, *arguments))
        except BaseException as error:
            # Dead, or interrupted half-way through a request: its pipe can't be trusted.
            self._discard(worker)
            if isinstance(error, _WorkerDied):
                raise WriterFailed(str(error)) from None
            raise
        self._idle.put(worker)
        kind, value = reply
        if kind == "ok":
            return value
        if kind == "unreadable":
            raise value  # the client's BadResponse, pickled as it was raised
        raise WriterFailed(f"A page writer failed: {value}")

    def start(self) -> None:
        """Start every worker now (they start on first use otherwise): a worker takes
        a few hundred milliseconds to import what it needs."""
        while (worker := self._start_if_room()) is not None:
            self._idle.put(worker)

    def close(self) -> None:
        with self._guard:
            workers, self._running = self._running, set()
            while True:
                try:
                    self._idle.get_nowait()
                except queue.Empty:
                    break
        for worker in workers:
            worker.stop()

    def _checkout(self) -> _Worker:
        while True:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                pass
            worker = self._start_if_room()
            if worker is not None:
                return worker
            try:
                return self._idle.get(timeout=_CHECKOUT_POLL)
            except queue.Empty:
                continue  # a worker may have died meanwhile: one may be started again

    def _start_if_room(self) -> _Worker | None:
        """A new worker, if fewer than `processes` run; None otherwise."""
        with self._guard:
            if len(self._running) >= self.processes:
                return None
            worker = _Worker.start()
            self._running.add(worker)
            return worker

    def _discard(self, worker: _Worker) -> None:
        with self._guard:
            self._running.discard(worker)
        worker.stop()


class _WorkerDied(Exception):
    pass


class _Worker:
    """One worker process and its two pipes."""

    def __init__(self, process: subprocess.Popen):
        self.process = process

    @classmethod
    def start(cls) -> _Worker:
        process = subprocess.Popen(
            [sys.executable, "-m", "fleet.page_writers"],
            cwd=_PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # stderr is the parent's: a worker's traceback lands in the poller's log.
        )
        return cls(process)

    def call(self, request: tuple) -> tuple[str, Any]:
        try:
            _send(self.process.stdin, request)
            reply = _receive(self.process.stdout)
        except (BrokenPipeError, OSError) as error:
            raise _WorkerDied(self._death(f"{error}")) from None
        if reply is None:
            raise _WorkerDied(self._death("it closed its pipe"))
        return reply

    def _death(self, how: str) -> str:
        code = self.process.poll()
        status = f" (exit status {code})" if code is not None else ""
        return f"A page writer process stopped{status}: {how}"

    def stop(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):  # already broken: nothing left to close
                pipe.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _send(pipe: IO[bytes], message: Any) -> None:
    _send_pickled(pipe, _pickled(message))


def _pickled(message: Any) -> bytes:
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def _send_pickled(pipe: IO[bytes], data: bytes) -> None:
    pipe.write(_LENGTH.pack(len(data)))
    pipe.write(data)
    pipe.flush()


def _receive(pipe: IO[bytes]) -> Any | None:
    """The next message, or None when the other end closed the pipe."""
    header = pipe.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        return None
    size = _LENGTH.unpack(header)[0]
    data = pipe.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)  # noqa: S301 (our own processes; see the module's doc)


# --- the worker's side ---------------------------------------------------------------


def writer_client(url: str) -> redis.Redis:
    """A page writer's Redis client: as the poller's own (devices.configured), patient
    with long pipelines, and packing each command whole (_WholeCommands)."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=5, socket_timeout=60, command_packer=_WholeCommands()
    )


class _WholeCommands:
    """Packs each command with one call to hiredis. redis-py's own hiredis packer first
    checks every argument's class in Python, a large share of a worker's CPU since a
    page's commands carry about 12 arguments per device (rows, set members, scores).

    ASSUMPTION: the workers' commands (write_page, write_name_order) pass str, bytes,
    int and float arguments only, which hiredis packs as they are; redis-py's
    `command_packer` hook (Connection) is how a client is given this packer.
    """

    def pack(self, *args):
        name = args[0]
        if " " in name if isinstance(name, str) else b" " in name:
            # A command named in two words ("CLIENT SETINFO") is two arguments.
            args = (*name.split(), *args[1:])
        return [hiredis.pack_command(args)]


def _serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    clients: dict[str, redis.Redis] = {}
    while (request := _receive(requests)) is not None:
        operation, url, prefix, generation, *arguments = request
        try:
            client = clients.get(url)
            if client is None:
                client = clients[url] = writer_client(url)
            writer = LocalWriter(client)
            if operation == "page":
                reply = ("ok", writer.write(prefix, generation, *arguments))
            else:
                reply = ("ok", writer.write_names(prefix, generation, [arguments]))
        except BadResponse as error:
            reply = ("unreadable", error)
        except Exception as error:  # told to the poller, which records the poll as failed
            reply = ("failed", f"{type(error).__name__}: {error}")
        try:
            data = _pickled(reply)
        except Exception as error:  # a reply that cannot be sent must not stop the worker
            data = _pickled(("failed", f"{type(error).__name__}: {error}"))
        _send_pickled(replies, data)


def _main() -> None:
    # Ctrl-C in a terminal reaches the whole process group; the parent decides when
    # the workers stop (by closing their stdin), so they ignore it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Replies go to the real stdout; anything printed by accident goes to stderr
    # instead of corrupting the replies.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, replies)


if __name__ == "__main__":
    # Run from the module under its own name, so that what the worker pickles
    # (WrittenPage) names fleet.page_writers, not __main__.
    from fleet.page_writers import _main as main

    main()
