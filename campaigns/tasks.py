"""Celery tasks of campaigns. Beat sends `campaigns.advance_all` every
CAMPAIGN_TICK_SECONDS; a started or resumed campaign is stepped at once as well. The
page's Start hands the choice of the devices to `campaigns.start`."""

import logging

from celery import shared_task
from django.conf import settings

from campaigns import engine, services

log = logging.getLogger(__name__)


@shared_task(name="campaigns.advance", acks_late=True, ignore_result=True,
             soft_time_limit=3600, time_limit=3700)  # fmt: skip
def advance_campaign(campaign_id: int) -> str:
    # acks_late: a step lost with its worker is handed out again; a step is safe to redo.
    return engine.advance(campaign_id)


@shared_task(name="campaigns.advance_all", ignore_result=True)
def advance_all() -> str:
    ids = engine.running_campaigns()
    for campaign_id in ids:
        queue_step(campaign_id)
    return f"{len(ids)} running campaigns stepped"


def queue_step(campaign_id: int) -> None:
    """Hand a step to a worker; a broker that fails leaves it to beat's next tick."""
    try:
        # Expires: while one step runs long, the steps queued behind it only find the lease
        # taken; dropping them keeps a backlog from growing.
        advance_campaign.apply_async((campaign_id,), expires=4 * settings.CAMPAIGN_TICK_SECONDS)
    except Exception as error:  # noqa: BLE001 -- any broker failure: beat steps it later
        log.warning("campaign %s: step not queued: %s", campaign_id, error)


@shared_task(name="campaigns.start", acks_late=True, reject_on_worker_lost=True,
             ignore_result=True, soft_time_limit=3600, time_limit=3700)  # fmt: skip
def start_campaign(campaign_id: int, user_id: int) -> str:
    # acks_late: a start lost with its worker is handed out again; it starts a draft once.
    return services.start_asked(campaign_id, user_id, enqueue=queue_step)


def queue_start(campaign_id: int, user_id: int) -> None:
    """Hand the page's Start to a worker; raises when the broker does not take it."""
    start_campaign.apply_async((campaign_id, user_id), retry=False)
