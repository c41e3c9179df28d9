"""Each device's update: one PATCH (firmware_image, firmware_image_is_pending), sent once.

Sent once. The device's row is claimed with one conditional UPDATE (waiting or retry ->
sending, only while the campaign runs) that commits before the PATCH: two workers never
both send it, and a paused or stopped campaign sends nothing more. A row left "sending"
(its worker died, or the PATCH had no answer) for CAMPAIGN_STALL_SECONDS is settled by
reading the device, as the action buttons' "send again" does: the image set upstream
means the PATCH arrived (it is followed as sent); no sign of it means it never did, and
it is sent again. ASSUMPTION: by then the upstream has answered any request the dead
worker made (the stall outlasts the client's own timeouts), so nothing is in flight.

Before sending, the device is read: Down at its turn -> tried again after
`retry_seconds`, `down_retries` times, then skipped; already on the image -> "already".
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings

from accounts import audit, tenancy
from campaigns.models import Campaign, CampaignDevice, Outcome
from campaigns.words import counted
from controlapi import errors

log = logging.getLogger(__name__)

FIRMWARE_PENDING = "firmware_update"


class UpstreamDown(Exception):
    """The control API did not answer at all: sending stops until the next tick."""


def stall() -> timedelta:
    return timedelta(seconds=settings.CAMPAIGN_STALL_SECONDS)


def update_pending(device) -> bool:
    return bool(device.firmware_image_is_pending) or any(
        p.name == FIRMWARE_PENDING for p in device.pending_settings
    )


def _set(row: CampaignDevice, expected: str, **fields) -> bool:
    """Change the row only if no one else changed its outcome meanwhile."""
    if "message" in fields:
        fields["message"] = fields["message"][:500]
    done = CampaignDevice.objects.filter(pk=row.pk, outcome=expected).update(**fields)
    for name, value in fields.items():
        setattr(row, name, value)
    return bool(done)


def _audit(campaign, row, result, *, status=None, message="", duration_ms=None) -> None:
    audit.record_action(
        user=campaign.created_by, action="firmware", result=result,
        organization_id=row.organization_id, device_id=row.device_id,
        device_name=row.device_name,
        parameters={"firmware_image": campaign.image_id, "campaign": campaign.pk},
        upstream_status=status, error_message=message, duration_ms=duration_ms,
        request_id=f"campaign-{campaign.pk}-{row.device_id}", username=audit.COMMAND_LINE,
    )  # fmt: skip


def send_one(api, campaign: Campaign, row: CampaignDevice, now: datetime) -> None:
    """Claim, check and send one device's update (or put it off, or skip it).
    Raises UpstreamDown when the control API does not answer before anything was sent."""
    claimed = CampaignDevice.objects.filter(
        pk=row.pk, outcome__in=[Outcome.WAITING, Outcome.RETRY],
        campaign__state=Campaign.State.RUNNING,
    ).update(outcome=Outcome.SENDING, sending_at=now)  # fmt: skip
    if not claimed:
        return
    before = row.outcome
    row.outcome = Outcome.SENDING
    if campaign.created_by is not None and not tenancy.can(
        campaign.created_by, tenancy.FIRMWARE, row.organization_id
    ):
        message = "Its creator's role no longer allows firmware updates here: not sent."
        _set(row, Outcome.SENDING, outcome=Outcome.FAILED, message=message)
        _audit(campaign, row, audit.FAILED, message=message)
        return
    try:
        device = api.get_device(row.device_id, pending=True)
    except errors.NotFound:
        _set(row, Outcome.SENDING, outcome=Outcome.FAILED,
             message="The device no longer exists upstream: not sent.")  # fmt: skip
        return
    except errors.ControlAPIError as error:
        _set(row, Outcome.SENDING, outcome=before, sending_at=None,
             message=f"Not read, so not sent yet: {errors.as_sentence(error)}")  # fmt: skip
        raise UpstreamDown(str(error)) from error
    if device.organization_id != campaign.organization_id:
        _set(row, Outcome.SENDING, outcome=Outcome.FAILED,
             message="The device moved to another organization: not sent.")  # fmt: skip
        return
    if device.firmware_image == campaign.image_id and not update_pending(device):
        _set(row, Outcome.SENDING, outcome=Outcome.ALREADY, confirmed_at=now, soaked=True,
             version_after=(device.software_version or "")[:100],
             message="Already on this image: nothing sent.")  # fmt: skip
        return
    if not device.is_up:
        _put_off(campaign, row, now)
        return
    _patch(api, campaign, row, device, now)


def _put_off(campaign: Campaign, row: CampaignDevice, now: datetime) -> None:
    attempts = row.attempts + 1
    if attempts > campaign.down_retries:
        _set(row, Outcome.SENDING, outcome=Outcome.SKIPPED, attempts=attempts,
             message=f"Down at each of its {counted(attempts, 'turn')}: skipped.")  # fmt: skip
        return
    later = now + timedelta(seconds=campaign.retry_seconds)
    _set(row, Outcome.SENDING, outcome=Outcome.RETRY, attempts=attempts, next_try_at=later,
         sending_at=None,
         message=f"Down at its turn ({attempts} of {campaign.down_retries + 1}): "
                 f"tried again after {later:%H:%M:%S} UTC.")  # fmt: skip


def _patch(api, campaign: Campaign, row: CampaignDevice, device, now: datetime) -> None:
    started = time.monotonic()
    version = (device.software_version or "")[:100]
    try:
        answer = api.schedule_firmware(row.device_id, campaign.image_id)
    except errors.Unavailable as error:
        if error.maybe_sent:
            # Left "sending": settled by a read once the stall has passed.
            _set(row, Outcome.SENDING, version_before=version,
                 message="No answer after sending: checked on the device shortly.")  # fmt: skip
            _audit(campaign, row, audit.UNKNOWN, message=str(error))
            return
        _set(row, Outcome.SENDING, outcome=Outcome.WAITING, sending_at=None,
             message=f"Not sent yet: {errors.as_sentence(error)}")  # fmt: skip
        raise UpstreamDown(str(error)) from error
    except errors.UnreadableAnswer as error:
        answer = None
        _set(
            row,
            Outcome.SENDING,
            outcome=Outcome.SENT,
            sent_at=now,
            version_before=version,
            upstream_status=error.status,
            message="Accepted, with an answer that could not be read: followed on the device.",
        )
        _audit(campaign, row, audit.UNKNOWN, status=error.status, message=str(error))
        return
    except errors.ControlAPIError as error:
        message = f"Refused: {errors.as_sentence(error)}"
        _set(row, Outcome.SENDING, outcome=Outcome.FAILED, version_before=version,
             upstream_status=error.status, message=message)  # fmt: skip
        _audit(campaign, row, audit.FAILED, status=error.status, message=message)
        return
    pending = ", ".join(p.name for p in answer.pending_settings) or "nothing pending yet"
    _set(row, Outcome.SENDING, outcome=Outcome.SENT, sent_at=now, version_before=version,
         upstream_status=200, message=f"Accepted by the control API ({pending}).")  # fmt: skip
    _audit(campaign, row, audit.OK, status=200,
           duration_ms=int((time.monotonic() - started) * 1000))  # fmt: skip


def settle_stalled(api, campaign: Campaign, now: datetime) -> None:
    """Rows left "sending" past the stall: sent if the device shows the image, else sent again."""
    stalled = CampaignDevice.objects.filter(
        campaign=campaign, outcome=Outcome.SENDING, sending_at__lt=now - stall()
    )
    for row in stalled:
        try:
            device = api.get_device(row.device_id, pending=True)
        except errors.ControlAPIError as error:
            log.info("campaign %s device %s not settled: %s", campaign.pk, row.device_id, error)
            continue
        if device.firmware_image == campaign.image_id:
            _set(
                row,
                Outcome.SENDING,
                outcome=Outcome.SENT,
                sent_at=row.sending_at,
                message="The update arrived (its sender stopped before the answer).",
            )
        else:
            _set(row, Outcome.SENDING, outcome=Outcome.WAITING, sending_at=None,
                 message="The earlier send never arrived: sent again.")  # fmt: skip
