"""The Celery broker transport: kombu's Redis transport with one repair.

Celery 5.7's worker, when it loses the broker, detaches the broken connection from
its transport (`connection.collect()`) and then closes it. Closing a channel hands
its unacknowledged messages (a poll or a bulk job that was running) back to Redis,
and kombu 5.7 reads the broker's address for that from the connection it was just
detached from: AttributeError, "Unrecoverable error", and the worker stops
consuming for good (seen with celery 5.7.0, kombu 5.7.0, redis-py 8.2). A channel
here keeps its broker's address from when it was opened, so closing it after a
lost connection behaves as with celery 5.6: the hand-back is tried, a broker
still down fails it as a connection error, which the worker ignores, and the
worker reconnects. settings.CELERY_BROKER_TRANSPORT selects this class;
tests/config/test_broker_restart.py restarts a real Redis under a real worker.
"""

from kombu.transport import redis


class Channel(redis.Channel):
    def __init__(self, connection, *args, **kwargs):
        self._broker = connection.client  # the kombu Connection: host, port, password, db
        super().__init__(connection, *args, **kwargs)

    def _connparams(self, asynchronous=False):
        if self.connection.client is None:
            # Detached by the worker's clean-up of a lost connection: use the address
            # the channel was opened with rather than fail on None.
            self.connection.client = self._broker
        return super()._connparams(asynchronous=asynchronous)


class Transport(redis.Transport):
    Channel = Channel
