"""Where the dashboard's Redis is, and the one function that connects to it.

Either a plain URL (REDIS_URL), or a master that Redis Sentinel names: then the sentinels are
asked for the current master's address at each new connection, so a client follows a
failover by itself (redis-py's SentinelConnectionPool). The master's database, username and
password still come from REDIS_URL; its host and port are then ignored.

Every Redis client of the dashboard (pages', pollers', the start-up version check, /readyz,
/metrics, `./run`) is made by `RedisAddress.client`. Plain Python and redis: no Django.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import redis
from redis.sentinel import Sentinel

DEFAULT_SENTINEL_PORT = 26379


def parse_sentinels(text: str | None) -> tuple[tuple[str, int], ...]:
    """ "host:port,host:port" (a port left out is 26379; IPv6 as [::1]:26379) as a tuple of
    (host, port); ValueError naming the entry that is not one."""
    sentinels = []
    for entry in (text or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            parts = urlsplit(f"//{entry}")
            host, port = parts.hostname, parts.port or DEFAULT_SENTINEL_PORT
        except ValueError:
            host = None
        if not host or parts.path or parts.username or parts.password:
            raise ValueError(f"{entry!r} is not host:port")
        sentinels.append((host, port))
    return tuple(sentinels)


@dataclass(frozen=True)
class RedisAddress:
    """REDIS_URL, and the Sentinel settings that, when given, find its host and port."""

    url: str
    sentinels: tuple[tuple[str, int], ...] = ()
    master_name: str | None = None
    sentinel_password: str | None = None

    def __post_init__(self):
        if self.sentinels and not self.master_name:
            raise ValueError("REDIS_SENTINELS is set, REDIS_SENTINEL_MASTER (the name) is not")
        if self.master_name and not self.sentinels:
            raise ValueError("REDIS_SENTINEL_MASTER is set, REDIS_SENTINELS is not")
        if self.sentinels and urlsplit(self.url).scheme != "redis":
            # ASSUMPTION: masters behind Sentinel are reached without TLS (kombu's sentinel://
            # URLs carry no TLS); refused rather than connecting in plain text unasked.
            raise ValueError("REDIS_URL must be redis:// (not rediss://) with REDIS_SENTINELS")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> RedisAddress:
        """For the command line (`./run`), from the variables the settings read."""
        return cls(
            environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            parse_sentinels(environ.get("REDIS_SENTINELS")),
            environ.get("REDIS_SENTINEL_MASTER") or None,
            environ.get("REDIS_SENTINEL_PASSWORD") or None,
        )

    @property
    def through_sentinel(self) -> bool:
        return bool(self.sentinels)

    def client(self, *, connect_timeout: float, read_timeout: float, **options) -> redis.Redis:
        """A client with these timeouts (for the sentinels too) and redis-py options (retry,
        ...). Through Sentinel, a command while no master is known raises MasterNotFoundError,
        a redis.ConnectionError like any Redis that is away."""
        timeouts = {"socket_connect_timeout": connect_timeout, "socket_timeout": read_timeout}
        if not self.through_sentinel:
            return redis.Redis.from_url(self.url, **timeouts, **options)
        sentinel_options = dict(timeouts)
        if self.sentinel_password:
            sentinel_options["password"] = self.sentinel_password
        sentinel = Sentinel(list(self.sentinels), sentinel_kwargs=sentinel_options)
        return sentinel.master_for(
            self.master_name, redis_class=redis.Redis, **self.master_options(), **timeouts,
            **options,
        )  # fmt: skip

    def master_options(self) -> dict:
        """The database and credentials of REDIS_URL, for the master Sentinel names."""
        parts = urlsplit(self.url)
        options: dict = {"db": int(parts.path.strip("/") or 0)}
        if parts.username:
            options["username"] = unquote(parts.username)
        if parts.password:
            options["password"] = unquote(parts.password)
        return options

    def __repr__(self) -> str:
        return f"RedisAddress({self.where()})"  # settings and logs never show a password

    def where(self) -> str:
        """Where it is, for messages and logs: never a password."""
        parts = urlsplit(self.url)
        if self.through_sentinel:
            sentinels = ",".join(f"{host}:{port}" for host, port in self.sentinels)
            return f"master {self.master_name!r} of the sentinels {sentinels}{parts.path or ''}"
        return f"{parts.hostname or '127.0.0.1'}:{parts.port or 6379}{parts.path or ''}"
