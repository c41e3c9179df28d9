"""A campaign's timeline: each decision is one line, and (by default) a notification."""

from __future__ import annotations

import logging

from django.db import transaction

from campaigns.models import Campaign, Decision
from campaigns.notify import announce

log = logging.getLogger(__name__)


def decide(campaign: Campaign, text: str, *, by: str = "", notify: bool = True) -> Decision:
    decision = Decision.objects.create(campaign=campaign, text=text[:500], by=by[:150])
    log.info("campaign %s: %s", campaign.pk, text)
    if notify:
        transaction.on_commit(lambda: announce(campaign.pk, decision.pk))
    return decision
