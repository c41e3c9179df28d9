"""Celery tasks of bulk actions. Thin: they call devices.bulk.

Celery autodiscovers only `tasks.py`; the worker learns of this module through the
import in devices/apps.py's ready() (or one import line in devices/tasks.py).
"""

from celery import shared_task

from devices import bulk


@shared_task(acks_late=True, soft_time_limit=3600, time_limit=3700)
def run_bulk_job(job_id: int, resumed: bool = False) -> None:
    # acks_late: a worker lost mid-job hands it back; run_job is safe to run again.
    bulk.run_job(job_id, resumed=resumed)


# Sent by beat every BULK_JOB_WATCHDOG_SECONDS: a job whose worker was killed resumes
# within BULK_JOB_STALL_SECONDS plus that interval, not at the broker's visibility timeout.
@shared_task(name="devices.bulk_tasks.resume_stalled_bulk_jobs", ignore_result=True)
def resume_stalled_bulk_jobs() -> str:
    resumed = bulk.resume_stalled_jobs()
    return f"resumed {len(resumed)} stalled bulk jobs"
