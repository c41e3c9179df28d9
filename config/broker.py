"""The Celery broker: its URL and transport as the Redis settings make them, and kombu's Redis
transports with one repair.

Without Sentinel, the broker is REDIS_URL through kombu's Redis transport. With REDIS_SENTINELS,
it is a `sentinel://` URL per sentinel (REDIS_URL's database and credentials) through kombu's
Sentinel transport, told the master's name and the sentinels' password in its transport
options; a connection then asks the sentinels for the current master, so a worker and beat
follow a failover. A result backend on the same Redis takes the same URL and options.

The repair: Celery 5.7's worker, when it loses the broker, detaches the broken connection from
its transport (`connection.collect()`) and then closes it. Closing a channel hands its
unacknowledged messages (a poll or a bulk job that was running) back to Redis, and kombu 5.7
reads the broker's address for that from the connection it was just detached from:
AttributeError, "Unrecoverable error", and the worker stops consuming for good (seen with
celery 5.7.0, kombu 5.7.0, redis-py 8.2; the Sentinel channel reads its sentinels' addresses
the same way). A channel here keeps its broker's address from when it was opened, so closing
it after a lost connection behaves as with celery 5.6: the hand-back is tried, a broker still
down fails it as a connection error, which the worker ignores, and the worker reconnects.
tests/config/test_broker_restart.py restarts a real Redis under a real worker;
tests/config/test_sentinel_failover.py fails a real master over under one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from kombu.transport import redis

from fleet.redis_connection import RedisAddress


@dataclass(frozen=True)
class CeleryRedis:
    """What the CELERY_* settings need to reach the dashboard's Redis."""

    url: str  # broker URL, and result backend URL if there is one
    transport: str  # CELERY_BROKER_TRANSPORT
    options: dict = field(default_factory=dict)  # transport options of broker and backend


def celery_redis(address: RedisAddress) -> CeleryRedis:
    if not address.through_sentinel:
        return CeleryRedis(address.url, "config.broker:Transport")
    parts = urlsplit(address.url)
    credentials = parts.netloc.rpartition("@")[0]
    at = f"{credentials}@" if credentials else ""
    url = ";".join(
        f"sentinel://{at}{_host(host)}:{port}{parts.path}" for host, port in address.sentinels
    )
    sentinel_kwargs = {"password": address.sentinel_password} if address.sentinel_password else {}
    options = {"master_name": address.master_name, "sentinel_kwargs": sentinel_kwargs}
    return CeleryRedis(url, "config.broker:SentinelTransport", options)


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class KeepsBrokerAddress:
    """The repair, for any kombu Redis channel (see the module's doc)."""

    def __init__(self, connection, *args, **kwargs):
        self._broker = connection.client  # the kombu Connection: host, port, password, db
        super().__init__(connection, *args, **kwargs)

    def _connparams(self, asynchronous=False):
        if self.connection.client is None:
            # Detached by the worker's clean-up of a lost connection: use the address
            # the channel was opened with rather than fail on None.
            self.connection.client = self._broker
        return super()._connparams(asynchronous=asynchronous)


class Channel(KeepsBrokerAddress, redis.Channel):
    pass


class Transport(redis.Transport):
    Channel = Channel


class SentinelChannel(KeepsBrokerAddress, redis.SentinelChannel):
    pass


class SentinelTransport(redis.SentinelTransport):
    Channel = SentinelChannel
