"""One step of a running campaign (`advance`), run by Celery every few seconds.

A step: settle rows a dead worker left "sending", follow sent devices to their outcome,
apply the current wave's stop rules, send the wave's due devices (if the schedule window
is open), and once every device of the wave is done (updated and soaked, failed, skipped,
already on the image), start the next wave or finish. A wave none of whose devices was
updated proves nothing about the image (campaigns.rules.proves_image): the next device
waiting is tried in it instead, so the next wave starts only after a real update's soak.

One worker steps a campaign at a time: it takes a lease (Campaign.lease_until) with a
conditional update and renews it as it goes; a dead worker's lease runs out after
CAMPAIGN_STALL_SECONDS. Every change is a conditional update, so even two steps at once
would neither send twice nor skip a wave.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.db.models import Q

from campaigns import following, planning, rules, sending, window
from campaigns.decisions import decide
from campaigns.models import Campaign, CampaignDevice, Outcome
from campaigns.words import counted, tally
from devices.upstream import control_api

log = logging.getLogger(__name__)

OPEN = [Outcome.WAITING, Outcome.RETRY, Outcome.SENDING, Outcome.SENT]
WINDOW_CLOSED = "waiting for the schedule window"
TRYING_NEXT = "trying the next device"


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


def _wave_name(wave: int) -> str:
    return "canary" if wave == 1 else f"wave {wave}"


def _latest_decision(campaign: Campaign) -> str:
    latest = campaign.decisions.order_by("-at", "-id").first()
    return latest.text if latest else ""


def _wave_done(campaign: Campaign) -> bool:
    """Every device of the current wave has its outcome (an update also its soak)."""
    return (
        not CampaignDevice.objects.filter(campaign=campaign, wave=campaign.wave)
        .filter(Q(outcome__in=OPEN) | BEING_FOLLOWED)
        .exists()
    )


def _step(campaign: Campaign, now: datetime, lease: Lease) -> str:
    with control_api() as api:
        sending.settle_stalled(api, campaign, now)
        following.follow(api, campaign, now, keep_going=lambda: lease.renew(now))
        if campaign.state != Campaign.State.RUNNING:
            return f"{campaign.state}: sent devices followed"
        if _stopped_by_rules(campaign, now):
            return "stopped"
        if not window.is_open(campaign, now):
            if _latest_decision(campaign) != WINDOW_CLOSED:
                decide(campaign, WINDOW_CLOSED, notify=False)
            return "outside the window"
        if campaign.wave == 0:
            _start_wave(campaign, 1, now)
        sent = _send_due(api, campaign, now, lease)
        while _wave_done(campaign) and _tried_next_device(campaign):
            sent += _send_due(api, campaign, now, lease)
        if _stopped_by_rules(campaign, now):
            return "stopped"
    if _wave_done(campaign):
        _next_wave(campaign, now)
    return f"wave {campaign.wave}: {sent} sent"


def _tried_next_device(campaign: Campaign) -> bool:
    """A done wave that updated nobody takes in the next device waiting (said once however
    many in a row turn out so); False when the wave may lead on, or nothing is left."""
    figures = rules.figures_of(campaign, campaign.wave)
    if rules.proves_image(campaign, figures) or not _running(campaign):
        return False
    if not planning.take_next_device(campaign):
        return False
    name = _wave_name(campaign.wave)
    latest = _latest_decision(campaign)
    if not (latest.startswith(f"{name}: ") and latest.endswith(TRYING_NEXT)):
        what = "nobody updated" if figures.sent else "nothing sent"
        decide(campaign, f"{name}: {what} ({tally(figures, zeros=False)}); {TRYING_NEXT}",
               notify=False)  # fmt: skip
    return True


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
        # The shares leave out devices already on the image, so one found so raises them too.
        changes_share = (Outcome.FAILED, Outcome.UNKNOWN, Outcome.ALREADY)
        if row.outcome in changes_share and _stopped_by_rules(campaign, now):
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
        decide(campaign, f"{_wave_name(wave)} started: {counted(size, 'device')}")


def _next_wave(campaign: Campaign, now: datetime) -> None:
    if campaign.wave < len(campaign.wave_sizes):
        if not _running(campaign):
            return
        figures = rules.figures_of(campaign, campaign.wave)
        decide(campaign, f"{_wave_name(campaign.wave)} done: {tally(figures)}", notify=False)
        _start_wave(campaign, campaign.wave + 1, now)
        return
    if Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.RUNNING).update(
        state=Campaign.State.FINISHED, ended_at=now
    ):
        campaign.refresh_from_db()
        decide(campaign, _finished_words(rules.campaign_figures(campaign)))


def _finished_words(total: rules.WaveFigures) -> str:
    if total.already == total.size:
        every = counted(total.size, "device")
        return f"finished: nothing sent, every device already on the image ({every})"
    return f"finished: {tally(total)}"


def running_campaigns() -> list[int]:
    """Campaigns to step: the running ones, and the others still following sent devices."""
    following = CampaignDevice.objects.filter(BEING_FOLLOWED, campaign__state__in=FOLLOWED)
    return sorted(
        set(Campaign.objects.filter(state=Campaign.State.RUNNING).values_list("pk", flat=True))
        | set(following.values_list("campaign_id", flat=True))
    )
