"""Celery tasks of notifications: thin, they call alerts.evaluation and alerts.delivery.

- `alerts.evaluate`: after each poll (devices.tasks sends it by name) and from beat every
  ALERT_EVALUATION_SECONDS; runs wait for each other on the cursor's row lock.
- `alerts.send_delivery`: one delivery; acks_late, so a worker killed before it claimed
  the delivery leaves the message to another; the claim keeps two from sending it.
- `alerts.sweep_deliveries`: beat, every ALERT_SWEEP_SECONDS: deliveries whose next try
  is due (retries, and those whose worker died while sending).
"""

from __future__ import annotations

import logging

import redis
from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from alerts import delivery, evaluation
from devices import configured

log = logging.getLogger(__name__)

EVALUATE = "alerts.evaluate"
SEND_DELIVERY = "alerts.send_delivery"


def queue_deliveries(delivery_ids) -> None:
    """Hand deliveries to the workers; one the broker refuses is sent by the sweeper."""
    for delivery_id in delivery_ids:
        try:
            send_delivery.apply_async((delivery_id,), retry=False)
        except Exception as error:  # noqa: BLE001 -- any broker failure: the sweeper sends it
            log.warning("delivery %s not queued (the sweeper sends it): %s", delivery_id, error)


@shared_task(name=EVALUATE, acks_late=True, soft_time_limit=120, time_limit=150, ignore_result=True)
def evaluate():
    try:
        summary = evaluation.evaluate(model=configured.read_model(for_pages=False))
    except (redis.RedisError, DatabaseError) as error:
        # Nothing moved: the next run (beat, or the next poll) reads the same transitions.
        log.warning("notifications not evaluated: %s", error)
        return f"failed: {type(error).__name__}"
    queue_deliveries(summary.deliveries)
    return (
        f"{summary.transitions} transitions, {summary.opened} opened, "
        f"{len(summary.deliveries)} deliveries"
    )


@shared_task(
    name=SEND_DELIVERY, acks_late=True, reject_on_worker_lost=True, soft_time_limit=60,
    time_limit=90, ignore_result=True,
)  # fmt: skip
def send_delivery(delivery_id: int):
    outcome = delivery.send_one(int(delivery_id))
    if outcome is None:
        return "not taken: not due, sent already, or held by another worker"
    if outcome.retry_in is not None:
        try:
            send_delivery.apply_async(
                (delivery_id,), countdown=outcome.retry_in.total_seconds(), retry=False
            )
        except Exception as error:  # noqa: BLE001 -- the sweeper retries it when due
            log.warning("retry of delivery %s not queued: %s", delivery_id, error)
    return outcome.state


@shared_task(name="alerts.sweep_deliveries", ignore_result=True)
def sweep_deliveries():
    due = delivery.due_deliveries(now=timezone.now())
    queue_deliveries(due)
    return f"{len(due)} deliveries due"
