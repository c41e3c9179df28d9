"""Celery tasks of bulk actions. Thin: they call devices.bulk, which is handed `queue_job`
to queue a job with (it never imports this module).

Celery autodiscovers only `tasks.py`; the worker learns of this module through the
import in devices/apps.py's ready() (or one import line in devices/tasks.py).
"""

import logging

from celery import shared_task

from devices import bulk

log = logging.getLogger(__name__)


@shared_task(acks_late=True, soft_time_limit=3600, time_limit=3700)
def run_bulk_job(job_id: int, resumed: bool = False) -> None:
    # acks_late: a worker lost mid-job hands it back; run_job is safe to run again.
    bulk.run_job(job_id, resumed=resumed)


# Sent by beat every BULK_JOB_WATCHDOG_SECONDS: a job whose worker was killed resumes
# within BULK_JOB_STALL_SECONDS plus that interval, not at the broker's visibility timeout.
@shared_task(name="devices.bulk_tasks.resume_stalled_bulk_jobs", ignore_result=True)
def resume_stalled_bulk_jobs() -> str:
    resumed = bulk.resume_stalled_jobs(requeue=lambda job_id: queue_job(job_id, resumed=True))
    return f"resumed {len(resumed)} stalled bulk jobs"


def queue_job(job_id: int, *, resumed: bool = False) -> None:
    """Sends the job to a worker; a broker that fails leaves it "queued", as its page says."""
    try:
        run_bulk_job.delay(job_id, resumed=resumed)
    except Exception as error:  # noqa: BLE001 -- any broker failure: the job page says "queued"
        log.warning("bulk job %s not queued: %s", job_id, error)
