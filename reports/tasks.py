"""Celery task of reports: thin, it calls reports.prepared.

- `reports.prepare`: build one report a person asked for; acks_late, so a worker lost
  before it finished hands it to another (building again is safe).
"""

from __future__ import annotations

from celery import shared_task

from reports import prepared

PREPARE = "reports.prepare"


@shared_task(
    name=PREPARE,
    acks_late=True,
    soft_time_limit=prepared.TIME_LIMIT_SECONDS,
    time_limit=prepared.TIME_LIMIT_SECONDS + 30,
    ignore_result=True,
)
def prepare(prepared_id: int) -> None:
    prepared.build(prepared_id)


def queue(prepared_id: int) -> None:
    """Hand the report to a worker; raises when the broker does not take it."""
    prepare.apply_async((prepared_id,), retry=False)
