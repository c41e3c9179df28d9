"""One poll at a time: the Redis lock, its renewal and its expiry."""

import threading
import time

from fleet import polling
from fleet.locks import KeepAlive, RedisLock


def test_overlapping_polls_run_one_poll(model, api_factory, poll_config, still_fleet):
    started, release = threading.Event(), threading.Event()
    reports = {}

    def hold(pages_written):
        started.set()
        release.wait(10)

    def first():
        reports["first"] = polling.poll_fleet(
            model=model, api_factory=api_factory, config=poll_config, on_page=hold
        )

    poller = threading.Thread(target=first)
    poller.start()
    try:
        assert started.wait(10)
        still_fleet.clear_log()
        second = polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config)
        requests_by_second = still_fleet.request_log(last=0)["total"]
    finally:
        release.set()
        poller.join(10)

    assert second.skipped and requests_by_second == 0
    assert not reports["first"].skipped and reports["first"].devices == 300


def test_a_lock_whose_owner_died_expires(model, api_factory, poll_config, still_fleet):
    # A worker killed mid-poll: it took the lock and never renewed or released it.
    dead = RedisLock(model.client, model.keys.poll_lock(polling.FLEET), ttl=0.5)
    assert dead.acquire()

    blocked = polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config)
    time.sleep(0.6)
    after_expiry = polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config)

    assert blocked.skipped
    assert not after_expiry.skipped and after_expiry.devices == 300


def test_the_lock_is_free_again_after_a_poll(model, api_factory, poll_config, still_fleet):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config)

    assert RedisLock(model.client, model.keys.poll_lock(polling.FLEET), ttl=1).holder() is None


def test_only_the_owner_releases_the_lock(redis_client, key_prefix):
    mine = RedisLock(redis_client, key_prefix + "lock", ttl=5)
    theirs = RedisLock(redis_client, key_prefix + "lock", ttl=5)
    assert mine.acquire()

    assert not theirs.acquire()
    assert not theirs.release()
    assert mine.holder() == mine.token
    assert mine.release()
    assert mine.holder() is None


def test_an_expired_holder_cannot_release_its_successors_lock(redis_client, key_prefix):
    slow = RedisLock(redis_client, key_prefix + "lock", ttl=0.2)
    assert slow.acquire()
    time.sleep(0.3)
    successor = RedisLock(redis_client, key_prefix + "lock", ttl=5)
    assert successor.acquire()

    assert not slow.release()
    assert not slow.renew()
    assert successor.holder() == successor.token


def test_keep_alive_holds_the_lock_past_its_expiry(redis_client, key_prefix):
    lock = RedisLock(redis_client, key_prefix + "lock", ttl=0.3)
    assert lock.acquire()

    with KeepAlive(lock) as keep_alive:
        time.sleep(1.0)
        assert lock.holder() == lock.token
    assert not keep_alive.lost.is_set()
    assert lock.release()


def test_keep_alive_notices_a_lost_lock(redis_client, key_prefix):
    lock = RedisLock(redis_client, key_prefix + "lock", ttl=0.3)
    assert lock.acquire()

    with KeepAlive(lock) as keep_alive:
        redis_client.set(key_prefix + "lock", "someone-else")
        assert keep_alive.lost.wait(1.0)
