"""Upstream calls are added up in Redis, so /metrics reports every process's; while Redis is
away an upstream call does not wait on it, and the counts arrive once it is back."""

from devices.upstream_calls import RETRY_FLUSH_AFTER, UPSTREAM_CALLS_KEY, UpstreamCallTally
from tests.fixtures.fleet import CLOSED_PORT_URL

LIST_OK = "GET /inventory_device/ 200"


def test_calls_are_added_up_in_redis(cache_settings, redis_client, key_prefix):
    first, second = UpstreamCallTally(), UpstreamCallTally()  # two processes' tallies

    first("GET", "/inventory_device/", "200")
    second("GET", "/inventory_device/", "200")
    second("PATCH", "/inventory_device/{id}/", "409")

    stored = redis_client.hgetall(key_prefix + UPSTREAM_CALLS_KEY)
    assert stored == {LIST_OK.encode(): b"2", b"PATCH /inventory_device/{id}/ 409": b"1"}


def test_while_redis_is_away_counts_wait_and_calls_do_not(
    cache_settings, redis_client, key_prefix, monkeypatch
):
    now = [1000.0]
    tally = UpstreamCallTally(clock=lambda: now[0])
    real_url = cache_settings.REDIS_URL
    cache_settings.REDIS_URL = f"redis://{CLOSED_PORT_URL}/0"
    tally("GET", "/inventory_device/", "200")  # Redis refused: kept in memory
    cache_settings.REDIS_URL = real_url

    tally("GET", "/inventory_device/", "200")  # within RETRY_FLUSH_AFTER: Redis not tried
    assert redis_client.hgetall(key_prefix + UPSTREAM_CALLS_KEY) == {}

    now[0] += RETRY_FLUSH_AFTER
    tally("GET", "/inventory_device/", "200")
    assert redis_client.hgetall(key_prefix + UPSTREAM_CALLS_KEY) == {LIST_OK.encode(): b"3"}
