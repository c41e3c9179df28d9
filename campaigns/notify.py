"""Notifications of a campaign's decisions (start, each wave, stop, finish): handed to the
notification rules of its organization (alerts.campaign_events)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def announce(campaign_id: int, decision_id: int) -> None:
    """Never raises: a notification that cannot be made must not stop a campaign."""
    try:
        from alerts import campaign_events
    except ImportError:  # pragma: no cover -- notifications not wired in
        return
    try:
        campaign_events.announce(campaign_id=campaign_id, decision_id=decision_id)
    except Exception:  # noqa: BLE001 -- see the docstring
        log.exception("campaign %s: decision %s not notified", campaign_id, decision_id)
