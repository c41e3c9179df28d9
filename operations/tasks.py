"""Celery tasks of the dashboard's own operations. Thin: each calls a service, which is
handed `queue_import` to queue a job with (it never imports this module)."""

import logging

from celery import shared_task

from operations import imports

log = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=3600, time_limit=3700)
def run_import_job(job_id: int) -> None:
    # acks_late + reject_on_worker_lost: a worker lost mid-job hands the message back, and
    # run_import resolves the row it was sending before sending anything again.
    imports.run_import(job_id)


def queue_import(job_id: int) -> None:
    """Sends the job to a worker; a broker that fails leaves it waiting, as its page shows."""
    try:
        run_import_job.delay(job_id)
    except Exception as error:  # noqa: BLE001 -- any broker failure: the page shows it waiting
        log.warning("import job %s not queued: %s", job_id, error)
