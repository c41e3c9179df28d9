"""Following sent updates to their outcome, by reading each device.

Sent -> confirmed once `firmware_update` is no longer pending (the device reports its new
software version), or -> not confirmed once the confirmation timeout has passed. Confirmed
-> Down when the device is read Down, or the poller's durable history saw it go Down,
within the soak time after its confirmation; past the soak without that it is done.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Q

from campaigns.models import Campaign, CampaignDevice, Outcome
from campaigns.sending import _set, update_pending
from controlapi import errors
from devices.models import StatusChange

log = logging.getLogger(__name__)

FOLLOW_BATCH = 500  # devices read per tick; the rest wait for the next one


def follow(api, campaign: Campaign, now: datetime, *, keep_going) -> None:
    rows = CampaignDevice.objects.filter(campaign=campaign).filter(
        Q(outcome=Outcome.SENT) | Q(outcome=Outcome.CONFIRMED, soaked=False)
    )[:FOLLOW_BATCH]
    for row in rows:
        try:
            device = api.get_device(row.device_id, pending=True)
        except errors.ControlAPIError as error:
            log.info("campaign %s device %s not followed: %s", campaign.pk, row.device_id, error)
            if isinstance(error, errors.Unavailable):
                return
            continue
        if row.outcome == Outcome.SENT:
            _follow_sent(campaign, row, device, now)
        if row.outcome == Outcome.CONFIRMED:
            _follow_soak(campaign, row, device, now)
        keep_going()


def _follow_sent(campaign: Campaign, row: CampaignDevice, device, now: datetime) -> None:
    timeout = timedelta(seconds=campaign.confirm_timeout_seconds)
    if update_pending(device) or device.firmware_image != campaign.image_id:
        if now - row.sent_at > timeout:
            _set(row, Outcome.SENT, outcome=Outcome.UNCONFIRMED,
                 message=f"Not confirmed within {campaign.confirm_timeout_seconds / 60:g} min "
                         "(firmware_update still pending).")  # fmt: skip
        return
    version = (device.software_version or "")[:100]
    _set(row, Outcome.SENT, outcome=Outcome.CONFIRMED, confirmed_at=now, version_after=version,
         message=f"Confirmed: the device reports {version or 'no version'}.")  # fmt: skip
    if version and not campaign.image_version:
        Campaign.objects.filter(pk=campaign.pk, image_version="").update(image_version=version)


def _follow_soak(campaign: Campaign, row: CampaignDevice, device, now: datetime) -> None:
    soak = timedelta(seconds=campaign.soak_seconds)
    end = row.confirmed_at + soak
    # Read Down now counts within the soak; the poller's history covers a late tick.
    seen_down = (not device.is_up and now <= end) or StatusChange.objects.filter(
        device_id=row.device_id, to_status="Down", at__gte=row.confirmed_at, at__lte=min(now, end)
    ).exists()
    if seen_down:
        minutes = max(0.0, (now - row.confirmed_at).total_seconds() / 60)
        _set(row, Outcome.CONFIRMED, outcome=Outcome.DOWN, down_at=now,
             message=f"Down {minutes:.0f} min after its update.")  # fmt: skip
    elif now >= end:
        _set(row, Outcome.CONFIRMED, soaked=True)
