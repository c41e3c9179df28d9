"""A Redis lock with an owner token and an expiry, kept alive while its holder works.

Why not a plain SETNX: a worker killed mid-poll must not block polling forever
(hence the expiry), a slow poll must not lose its lock half-way (hence the
renewal), and a poll whose lock did expire must not delete the lock a newer
poll now holds (hence release and renewal compare the owner token first, in one
Lua script, so nothing can slip between the compare and the delete).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

import redis

log = logging.getLogger(__name__)

# KEYS[1] lock, ARGV[1] token. Delete only when we still own it.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# KEYS[1] lock, ARGV[1] token, ARGV[2] new expiry in ms. Extend only when we still own it.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class RedisLock:
    """One holder at a time for `key`, for at most `ttl` seconds without renewal."""

    def __init__(self, client: redis.Redis, key: str, ttl: float, *, token: str | None = None):
        self.client = client
        self.key = key
        self.ttl_ms = max(int(ttl * 1000), 1)
        self.token = token or uuid.uuid4().hex
        self._release = client.register_script(_RELEASE)
        self._renew = client.register_script(_RENEW)

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; never waits."""
        return bool(self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))

    def renew(self) -> bool:
        """Push the expiry forward; False when the lock is no longer ours."""
        return bool(self._renew(keys=[self.key], args=[self.token, self.ttl_ms]))

    def release(self) -> bool:
        """Give the lock up; False when it had already expired or passed to someone else."""
        return bool(self._release(keys=[self.key], args=[self.token]))

    def release_quietly(self) -> None:
        """Give the lock up, or leave it to expire by itself when Redis is gone."""
        try:
            self.release()
        except redis.RedisError:
            log.warning("could not release %s", self.key)

    def holder(self) -> str | None:
        """The current owner's token, whoever it is (None: free)."""
        value = self.client.get(self.key)
        return value.decode() if value is not None else None


class KeepAlive:
    """Renews a held lock from a background thread every third of its expiry.

    `lost` is set once the lock is known not to be ours any more (someone else
    holds it, or renewals kept failing until the expiry passed), so the holder
    can stop before it publishes anything. A thread rather than renewing between
    pages, because one slow upstream page can take longer than the expiry.
    """

    def __init__(self, lock: RedisLock):
        self.lock = lock
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"renew {lock.key}", daemon=True)

    def __enter__(self) -> KeepAlive:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        interval = self.lock.ttl_ms / 3000
        last_renewed = time.monotonic()
        while not self._stop.wait(interval):
            try:
                if not self.lock.renew():
                    self.lost.set()
                    return
                last_renewed = time.monotonic()
            except redis.RedisError:
                # Redis hiccup: keep trying until the expiry has certainly passed.
                if time.monotonic() - last_renewed > self.lock.ttl_ms / 1000:
                    self.lost.set()
                    return
