"""Celery tasks of bulk actions. Thin: they call devices.bulk.

Celery autodiscovers only `tasks.py`; the worker learns of this module through the
import in devices/apps.py's ready() (or one import line in devices/tasks.py).
"""

from celery import shared_task

from devices import bulk


@shared_task(acks_late=True, soft_time_limit=3600, time_limit=3700)
def run_bulk_job(job_id: int) -> None:
    # acks_late: a worker lost mid-job hands it back; run_job is safe to run again.
    bulk.run_job(job_id)
