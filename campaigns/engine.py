"""One step of a running campaign (`advance`), run by Celery every few seconds.

A step: settle rows a dead worker left "sending", follow sent devices to their outcome,
apply the current wave's stop rules, send the wave's due devices (if the schedule window
is open), and once every device of the wave is done (updated and soaked, failed, skipped),
start the next wave or finish. One worker steps a campaign at a time: it takes a lease
(Campaign.lease_until) with a conditional update and renews it as it goes; a dead
worker's lease runs out after CAMPAIGN_STALL_SECONDS. Every change is a conditional
update, so even two steps at once would neither send twice nor skip a wave.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.db.models import Q

from campaigns import following, rules, sending, window
from campaigns.decisions import decide
from campaigns.models import Campaign, CampaignDevice, Outcome
from campaigns.words import counted
from devices.upstream import control_api

log = logging.getLogger(__name__)

OPEN = [Outcome.WAITING, Outcome.RETRY, Outcome.SENDING, Outcome.SENT]
WINDOW_CLOSED = "waiting for the schedule window"


class LeaseLost(Exception):
    """Another worker took the campaign over (this one was too slow): stop at once."""


def _now() -> datetime:
    return datetime.now(UTC)


def advance(campaign_id: int, *, now: datetime | None = None) -> str:
    """Step the campaign once; what happened, in a few words."""
    now = now or _now()
    lease = Lease.take(campaign_id, now)
    if lease is None:
        return "not running, or stepped by another worker"
    campaign = Campaign.objects.get(pk=campaign_id)
    try:
        return _step(campaign, now, lease)
    except LeaseLost:
        return "taken over by another worker"
    finally:
        lease.release()


# A campaign that sends no more (paused, stopped, cancelled) still follows the devices it
# sent until each has its outcome: its page's figures stay true.
FOLLOWED = [Campaign.State.PAUSED, Campaign.State.STOPPED, Campaign.State.CANCELLED]
BEING_FOLLOWED = Q(outcome=Outcome.SENT) | Q(outcome=Outcome.CONFIRMED, soaked=False)


class Lease:
    """This worker's hold on a campaign: taken with a conditional update, renewed and
    released only while it is still this worker's (the same `until` it wrote)."""

    def __init__(self, campaign_id: int, until: datetime):
        self.campaign_id, self.until = campaign_id, until

    @classmethod
    def take(cls, campaign_id: int, now: datetime) -> Lease | None:
        until = now + sending.stall()
        taken = (
            Campaign.objects.filter(pk=campaign_id, state__in=[Campaign.State.RUNNING, *FOLLOWED])
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .update(lease_until=until)
        )
        return cls(campaign_id, until) if taken else None

    def renew(self, now: datetime) -> None:
        until = max(now, _now()) + sending.stall()
        if not Campaign.objects.filter(pk=self.campaign_id, lease_until=self.until).update(
            lease_until=until
        ):
            raise LeaseLost
        self.until = until

    def release(self) -> None:
        Campaign.objects.filter(pk=self.campaign_id, lease_until=self.until).update(
            lease_until=None
        )


def _running(campaign: Campaign) -> bool:
    return Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.RUNNING).exists()


def _step(campaign: Campaign, now: datetime, lease: Lease) -> str:
    with control_api() as api:
        sending.settle_stalled(api, campaign, now)
        following.follow(api, campaign, now, keep_going=lambda: lease.renew(now))
        if campaign.state != Campaign.State.RUNNING:
            return f"{campaign.state}: sent devices followed"
        if _stopped_by_rules(campaign, now):
            return "stopped"
        if not window.is_open(campaign, now):
            latest = campaign.decisions.order_by("-at", "-id").first()
            if latest is None or latest.text != WINDOW_CLOSED:
                decide(campaign, WINDOW_CLOSED, notify=False)
            return "outside the window"
        if campaign.wave == 0:
            _start_wave(campaign, 1, now)
        sent = _send_due(api, campaign, now, lease)
        if _stopped_by_rules(campaign, now):
            return "stopped"
    if (
        not CampaignDevice.objects.filter(campaign=campaign, wave=campaign.wave)
        .filter(Q(outcome__in=OPEN) | BEING_FOLLOWED)
        .exists()
    ):
        _next_wave(campaign, now)
    return f"wave {campaign.wave}: {sent} sent"


def _send_due(api, campaign: Campaign, now: datetime, lease: Lease) -> int:
    due = CampaignDevice.objects.filter(
        campaign=campaign, wave=campaign.wave, outcome__in=[Outcome.WAITING, Outcome.RETRY]
    ).filter(Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))
    sent = 0
    for row in due.iterator(chunk_size=200):
        # Read before every device: a pause or stop takes effect before the next PATCH.
        if not _running(campaign):
            break
        lease.renew(now)
        try:
            sending.send_one(api, campaign, row, now)
        except sending.UpstreamDown as error:
            log.info("campaign %s: control API unavailable, sending later: %s", campaign.pk, error)
            break
        sent += row.outcome == Outcome.SENT
        if row.outcome in (Outcome.FAILED, Outcome.UNKNOWN) and _stopped_by_rules(campaign, now):
            break
    return sent


def _stopped_by_rules(campaign: Campaign, now: datetime) -> bool:
    figures = rules.figures_of(campaign, campaign.wave)
    reason = rules.stop_reason(campaign, figures) if figures else ""
    if not reason:
        return False
    if Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.RUNNING).update(
        state=Campaign.State.STOPPED, stop_reason=reason[:500], ended_at=now
    ):
        campaign.refresh_from_db()
        decide(campaign, reason)
    return True


def _start_wave(campaign: Campaign, wave: int, now: datetime) -> None:
    if Campaign.objects.filter(pk=campaign.pk, wave=wave - 1, state=Campaign.State.RUNNING).update(
        wave=wave, wave_started_at=now
    ):
        campaign.refresh_from_db()
        size = campaign.wave_sizes[wave - 1]
        name = "canary" if wave == 1 else f"wave {wave}"
        decide(campaign, f"{name} started: {counted(size, 'device')}")


def _next_wave(campaign: Campaign, now: datetime) -> None:
    figures = rules.figures_of(campaign, campaign.wave)
    summary = (
        f"{figures.confirmed} updated, {figures.failed} failed, {figures.down} Down after, "
        f"{figures.skipped} skipped"
    )
    name = "canary" if campaign.wave == 1 else f"wave {campaign.wave}"
    if campaign.wave < len(campaign.wave_sizes):
        if not _running(campaign):
            return
        decide(campaign, f"{name} done: {summary}", notify=False)
        _start_wave(campaign, campaign.wave + 1, now)
        return
    if Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.RUNNING).update(
        state=Campaign.State.FINISHED, ended_at=now
    ):
        campaign.refresh_from_db()
        total = rules.wave_figures(campaign)
        updated = sum(f.confirmed for f in total)
        failed = sum(f.failed for f in total)
        down = sum(f.down for f in total)
        skipped = sum(f.skipped for f in total)
        decide(campaign, f"finished: {updated} updated, {failed} failed, {down} Down after "
               f"their update, {skipped} skipped")  # fmt: skip


def running_campaigns() -> list[int]:
    """Campaigns to step: the running ones, and the others still following sent devices."""
    following = CampaignDevice.objects.filter(BEING_FOLLOWED, campaign__state__in=FOLLOWED)
    return sorted(
        set(Campaign.objects.filter(state=Campaign.State.RUNNING).values_list("pk", flat=True))
        | set(following.values_list("campaign_id", flat=True))
    )
