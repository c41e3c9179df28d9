"""A Redis restart under a running Celery worker and beat: both reconnect and go on working.

A real worker process, a real Redis (the server ./run starts) killed while a poll is running
(an unacknowledged message, which the worker hands back on the lost connection) and started
again on the same port. With celery 5.7 and kombu 5.7 unrepaired, the worker logged
"Unrecoverable error: AttributeError(... 'hostname')" and never consumed again
(config/broker.py)."""

import re

from config.celery import app
from tests.fixtures.workers import wait_until as _wait

# The fixtures `broker` (a throwaway Redis server) and `celery` (worker and beat processes
# on it) are tests/fixtures/workers.py's.


def _log(process):
    return process.log_path.read_text(errors="replace")


def _after_loss(worker):
    return _log(worker).split("Connection to broker lost", 1)[1]


def test_the_worker_and_beat_survive_a_redis_restart_and_go_on(celery, broker, tmp_path,
                                                                sim_control):  # fmt: skip
    worker = celery("worker", "--concurrency", "2")
    beat = celery("beat", "--schedule", str(tmp_path / "beat-schedule"))
    # The profiles answer slowly: the start-up profile poll is still running (its message
    # unacknowledged) when Redis goes away, while the worker waits for more work.
    sim_control.set_faults(latency_ms=4000, path="*/inventory_connection_profile/*")
    _wait(lambda: re.search(r"poll_fleet\[.*\] succeeded", _log(worker)), "the start-up polls")

    broker.kill()
    _wait(lambda: "Connection to broker lost" in _log(worker), "the worker to see Redis gone")
    broker.start()
    sim_control.clear_faults()

    def reconnected():
        after_loss = _after_loss(worker)
        if "Unrecoverable error" in after_loss:
            raise AssertionError("the worker gave up:\n" + after_loss[-3000:])
        return "Connected to" in after_loss

    _wait(reconnected, "the worker to reconnect")
    assert worker.poll() is None, "the worker exited"

    with app.connection_for_write(broker.url) as connection:
        task_id = app.send_task("devices.tasks.poll_profiles", connection=connection).id
    done = re.compile(rf"poll_profiles\[{task_id}\] succeeded in [\d.]+s: '\d+ profiles'")
    _wait(lambda: done.search(_log(worker)), "the worker to run the task sent after the restart")
    # Beat sent its polls through the restarted Redis too (the worker sends its own only
    # when it starts).
    _wait(lambda: "devices.tasks.poll_fleet[" in _after_loss(worker), "a poll sent by beat")
    assert worker.poll() is None and beat.poll() is None
