"""A worker's heartbeat: what /readyz reads to know a worker is alive."""

import time

from fleet import worker_heartbeat


def test_a_started_heartbeat_beats_and_a_stopped_one_is_forgotten(redis_client, key_prefix):
    beat = worker_heartbeat.Heartbeat(redis_client, key_prefix, "celery@w1", every=0.05).start()
    try:
        for _ in range(100):
            if worker_heartbeat.latest(redis_client, key_prefix):
                break
            time.sleep(0.02)
        hostname, at = worker_heartbeat.latest(redis_client, key_prefix)
    finally:
        beat.stop()

    assert hostname == "celery@w1" and abs(time.time() - at) < 30
    assert worker_heartbeat.latest(redis_client, key_prefix) is None


def test_the_latest_beat_is_the_most_recent_workers(redis_client, key_prefix):
    now = time.time()
    worker_heartbeat.beat(redis_client, key_prefix, "celery@old", now=now - 100)
    worker_heartbeat.beat(redis_client, key_prefix, "celery@new", now=now)

    assert worker_heartbeat.latest(redis_client, key_prefix) == ("celery@new", now)


def test_workers_gone_long_ago_are_dropped(redis_client, key_prefix):
    now = time.time()
    worker_heartbeat.beat(redis_client, key_prefix, "celery@gone", now=now - 3600)
    worker_heartbeat.beat(redis_client, key_prefix, "celery@live", now=now)

    assert redis_client.zrange(worker_heartbeat.key(key_prefix), 0, -1) == [b"celery@live"]
