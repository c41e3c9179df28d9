"""How one "Refresh" press ended, for the freshness panel that waits for it.

The refresh task writes its end (done, or failed in the upstream's words) under a
short-lived key named by a token the panel carries, so the panel stops as soon as the
task ends instead of waiting for the cache to change. Without Redis there is no token
and the panel falls back to waiting for a newer copy, up to its time limit.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from dataclasses import dataclass

import redis

from devices import configured

log = logging.getLogger(__name__)

# Seconds a press's outcome is kept: longer than the panel waits for it.
TTL = 120
RUNNING = "running"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str = ""


def start() -> str:
    """A new token whose outcome is "running"; "" when Redis cannot keep it."""
    token = secrets.token_urlsafe(16)
    model = configured.read_model()
    try:
        model.client.set(model.keys.refresh_request(token), RUNNING, ex=TTL)
    except redis.RedisError as error:
        log.warning("could not record a refresh request: %s", error)
        return ""
    return token


def finish(token: str, *, error: str = "") -> None:
    """Record how the refresh of `token` ended (nothing without a token)."""
    if not token:
        return
    model = configured.read_model(for_pages=False)
    body = json.dumps({"ok": not error, "error": error})
    try:
        model.client.set(model.keys.refresh_request(token), body, ex=TTL)
    except redis.RedisError as failure:
        log.warning("could not record the end of a refresh: %s", failure)


def outcome(token: str) -> Outcome | None:
    """How the refresh ended; None while it runs, or when that is not known."""
    if not TOKEN.match(token or ""):
        return None
    model = configured.read_model()
    try:
        raw = model.client.get(model.keys.refresh_request(token))
    except redis.RedisError:
        return None
    if raw is None or raw in (RUNNING, RUNNING.encode()):
        return None
    data = json.loads(raw)
    return Outcome(ok=bool(data.get("ok")), error=str(data.get("error") or ""))
