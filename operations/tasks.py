"""Celery tasks of the dashboard's own operations. Thin: each calls a service."""

from celery import shared_task

from operations import imports


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=3600, time_limit=3700)
def run_import_job(job_id: int) -> None:
    # acks_late + reject_on_worker_lost: a worker lost mid-job hands the message back, and
    # run_import resolves the row it was sending before sending anything again.
    imports.run_import(job_id)
