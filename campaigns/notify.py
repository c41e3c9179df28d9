"""Notifications of a campaign's decisions (start, each wave, stop, finish, a person's
pause, resume or cancel), handed to its organization's rules (alerts.campaign_events)."""

from __future__ import annotations

import logging

from alerts.campaign_events import notify_campaign
from campaigns.models import Decision

log = logging.getLogger(__name__)


def announce(campaign_id: int, decision_id: int) -> None:
    """Never raises: a notification that cannot be made must not stop a campaign."""
    try:
        decision = Decision.objects.select_related("campaign").get(pk=decision_id)
        campaign = decision.campaign
        notify_campaign(
            campaign_id=campaign_id, decision_id=decision_id,
            organization_id=campaign.organization_id, type_id=campaign.type_id,
            image_id=campaign.image_id, text=decision.text,
        )  # fmt: skip
    except Exception:  # noqa: BLE001 -- see the docstring
        log.exception("campaign %s: decision %s not notified", campaign_id, decision_id)
