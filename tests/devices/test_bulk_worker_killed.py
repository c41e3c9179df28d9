"""A real Celery worker killed (SIGKILL, with its pool processes) in the middle of a bulk
reboot: the watchdog queues the job again, a second worker finishes it, and each device is
rebooted exactly once.

test_bulk_actions.py builds by hand the state a killed worker leaves; here a worker process
really dies while its reboot request is at the simulator (each PATCH takes LATENCY_MS
there). That device's reboot arrives, but nobody wrote down its answer: the resumed job does
not send it again and says the outcome is unknown (devices/bulk.py).

The worker reads and writes the test's own database (the job the page made, the items it
sends), so the test runs in real transactions, and under SQLite on a file copy of the
suite's in-memory database for its duration.
"""

import signal
import time

import pytest

from devices import bulk, configured, form_keys
from devices.bulk_tasks import queue_job
from devices.models import ActionRecord, BulkItem, BulkJob
from tests.fixtures.users import ORG_A
from tests.fixtures.workers import kill_group, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

DEVICES = 10
SENT_BEFORE_KILL = 3
LATENCY_MS = 1500  # each reboot request waits this long at the simulator before it applies
IN_FLIGHT_SECONDS = 0.5  # this long after its action record is made, a request is at the
# simulator (sent within milliseconds) and not yet answered (LATENCY_MS)
STALL_SECONDS = 2  # the watchdog's BULK_JOB_STALL_SECONDS here (a worker beats every 1.5 s)


def _newly_in_flight(job):
    """A check for wait_until: the item whose request went out since the check before (its
    action record made, no answer written down), once SENT_BEFORE_KILL items are done."""
    keys = [bulk.item_key(item) for item in job.items.all()]
    seen = set()

    def check():
        records = ActionRecord.objects.filter(key__in=keys, state=ActionRecord.State.SENDING)
        sending = set(records.values_list("key", flat=True))
        new = sending - seen
        seen.update(sending)
        if new and job.items.filter(state=BulkItem.State.DONE).count() >= SENT_BEFORE_KILL:
            return BulkItem.objects.get(job=job, action_key=new.pop())
        return None

    return check


def test_a_worker_killed_mid_job_is_replaced_and_each_device_is_rebooted_exactly_once(
    worker_database, client_of, operator, still_fleet, all_devices, on_the_broker, celery,
    settings,
):  # fmt: skip
    still_fleet.set_faults(latency_ms=LATENCY_MS, method="PATCH", path="*/inventory_device/*")
    first = celery("worker", "--concurrency", "2", DATABASE_URL=worker_database)
    wait_until(lambda: configured.read_model().snapshot_info(), "the worker's start-up poll")
    chosen = [d for d in all_devices() if d.organization_id == ORG_A][:DEVICES]
    assert len(chosen) == DEVICES

    response = client_of(operator).post(
        "/devices/bulk/start/",
        {
            "action": "reboot",
            "devices": ",".join(str(d.id) for d in chosen),
            "start_key": form_keys.new_key(),
        },  # fmt: skip
    )
    assert response.status_code == 302, response.content
    job = BulkJob.objects.get()

    mid_send = wait_until(_newly_in_flight(job), f"{SENT_BEFORE_KILL} devices sent")
    time.sleep(IN_FLIGHT_SECONDS)  # the request has reached the simulator, which holds it
    kill_group(first)
    assert first.returncode == -signal.SIGKILL
    # Killed before the answer came: nothing wrote the reboot down.
    assert BulkItem.objects.get(pk=mid_send.pk).state == BulkItem.State.SENDING

    celery("worker", "--concurrency", "2", DATABASE_URL=worker_database)
    # Beat's watchdog task, called here: a worker's setting cannot go under 60 s, a
    # test should not wait that long.
    settings.BULK_JOB_STALL_SECONDS = STALL_SECONDS

    def resume(job_id):
        queue_job(job_id, resumed=True)

    def taken():
        return bulk.resume_stalled_jobs(requeue=resume) == [job.pk]

    wait_until(taken, "the job to be taken for stalled")
    wait_until(
        lambda: BulkJob.objects.get(pk=job.pk).finished, "the second worker to finish the job"
    )

    patches = {
        request: count
        for request, count in still_fleet.request_log(last=0)["counts"].items()
        if request.startswith("PATCH ")
    }
    assert patches == {f"PATCH /api/v1/inventory_device/{d.id}/": 1 for d in chosen}
    job.refresh_from_db()
    assert job.state == BulkJob.State.DONE
    assert bulk.progress(job) == {
        "done": DEVICES - 1, "failed": 1, "skipped": 0, "remaining": 0,
        "finished": DEVICES, "total": DEVICES, "percent": 100,
    }  # fmt: skip
    mid_send.refresh_from_db()
    assert mid_send.state == BulkItem.State.FAILED
    assert "may or may not have reached the device" in mid_send.message
    record = ActionRecord.objects.get(key=mid_send.action_key)
    assert record.state == ActionRecord.State.UNKNOWN and record.may_resend
