"""A wave's figures and its stop rules.

Failed: the update was refused, not confirmed within the timeout, or its outcome is
unknown (counted against the wave, to be safe). Down: confirmed, then seen Down within
the soak time. Both are shares of the wave's devices that needed the update (a device
already on the image was sent nothing and says nothing about it); the Down share is
compared after taking away the same devices' Down share before the campaign
(campaigns.planning). Skipped devices (Down at every turn) count for neither.

A wave proves the image, and so leads to the next, only when one of its devices was sent
the update and confirmed it (campaigns.engine tries the next device otherwise).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q

from campaigns.models import FAILURES, Campaign, CampaignDevice, Outcome


@dataclass(frozen=True)
class WaveFigures:
    wave: int
    size: int
    counts: dict
    down_before: int

    def count(self, *outcomes) -> int:
        return sum(self.counts.get(o, 0) for o in outcomes)

    @property
    def sent(self) -> int:
        """Updates the control API accepted (or may have: unknown). Failed is never one:
        campaigns.sending marks failed only updates refused or never sent."""
        return self.count(
            Outcome.SENT, Outcome.CONFIRMED, Outcome.UNCONFIRMED, Outcome.DOWN, Outcome.UNKNOWN
        )

    @property
    def confirmed(self) -> int:
        return self.count(Outcome.CONFIRMED)

    @property
    def already(self) -> int:
        return self.count(Outcome.ALREADY)

    @property
    def needing(self) -> int:
        """The devices not already on the image: the ones the shares are of."""
        return self.size - self.already

    @property
    def failed(self) -> int:
        return self.count(*FAILURES)

    @property
    def down(self) -> int:
        return self.count(Outcome.DOWN)

    @property
    def skipped(self) -> int:
        return self.count(Outcome.SKIPPED)

    @property
    def waiting(self) -> int:
        return self.count(Outcome.WAITING, Outcome.RETRY, Outcome.SENDING)

    def percent(self, n: int) -> float:
        return 100.0 * n / self.needing if self.needing else 0.0

    @property
    def failed_percent(self) -> float:
        return self.percent(self.failed)

    @property
    def down_percent(self) -> float:
        return self.percent(self.down)

    @property
    def baseline_percent(self) -> float:
        return self.percent(self.down_before)


def wave_figures(campaign: Campaign) -> list[WaveFigures]:
    """Every planned wave's figures, the canary first."""
    rows = (
        CampaignDevice.objects.filter(campaign=campaign)
        .values("wave", "outcome")
        .annotate(n=Count("id"), before=Count("id", filter=Q(down_before=True)))
    )
    counts: dict[int, Counter] = {}
    before: Counter = Counter()
    for row in rows:
        counts.setdefault(row["wave"], Counter())[row["outcome"]] += row["n"]
        if row["outcome"] != Outcome.ALREADY:  # the baseline is of the same devices as the shares
            before[row["wave"]] += row["before"]
    return [
        WaveFigures(wave, size, dict(counts.get(wave, {})), before[wave])
        for wave, size in enumerate(campaign.wave_sizes, start=1)
    ]


def figures_of(campaign: Campaign, wave: int) -> WaveFigures | None:
    return next((f for f in wave_figures(campaign) if f.wave == wave), None)


def campaign_figures(campaign: Campaign) -> WaveFigures:
    """Every wave's figures added up (its `wave` is 0)."""
    waves = wave_figures(campaign)
    counts = sum((Counter(f.counts) for f in waves), Counter())
    return WaveFigures(
        0, sum(f.size for f in waves), dict(counts), sum(f.down_before for f in waves)
    )


def proves_image(campaign: Campaign, figures: WaveFigures) -> bool:
    """Whether the wave may lead to the next: one of its devices was sent the update and
    confirmed it (Down after it or not: the Down rule judged that), or a person resumed
    the campaign past this wave's stop."""
    updated = figures.count(Outcome.CONFIRMED, Outcome.DOWN)
    return bool(updated) or figures.wave == campaign.overridden_wave


def stop_reason(campaign: Campaign, figures: WaveFigures) -> str:
    """Why the wave stops the campaign, in words; "" when it does not."""
    if figures.wave == campaign.overridden_wave or not figures.needing:
        return ""
    if figures.failed_percent > campaign.max_failed_percent:
        return (
            f"stopped: {figures.failed} of {figures.needing} devices of wave {figures.wave} "
            f"failed or did not confirm ({figures.failed_percent:.0f} %, more than "
            f"{campaign.max_failed_percent:g} %)"
        )
    excess = figures.down_percent - figures.baseline_percent
    if figures.down and excess > campaign.max_down_percent:
        minutes = f"{campaign.soak_seconds / 60:g} min"
        were = "was" if figures.down_before == 1 else "were"
        return (
            f"stopped: {figures.down} of {figures.needing} Down within {minutes} of their update "
            f"in wave {figures.wave} ({figures.down_before} {were} Down in as long before the "
            f"campaign; {excess:.0f} % more, allowed {campaign.max_down_percent:g} %)"
        )
    return ""
