"""A wave's figures and its stop rules.

Failed: the update was refused, not confirmed within the timeout, or its outcome is
unknown (counted against the wave, to be safe). Down: confirmed, then seen Down within
the soak time. Both are shares of the wave's devices; the Down share is compared after
taking away the same devices' Down share before the campaign (campaigns.planning).
Skipped devices (Down at every turn) count for neither.
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
        return self.count(
            Outcome.SENT, Outcome.CONFIRMED, Outcome.FAILED, Outcome.UNCONFIRMED, Outcome.DOWN,
            Outcome.UNKNOWN,
        )  # fmt: skip

    @property
    def confirmed(self) -> int:
        return self.count(Outcome.CONFIRMED, Outcome.ALREADY)

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
        return 100.0 * n / self.size if self.size else 0.0

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
        before[row["wave"]] += row["before"]
    return [
        WaveFigures(wave, size, dict(counts.get(wave, {})), before[wave])
        for wave, size in enumerate(campaign.wave_sizes, start=1)
    ]


def figures_of(campaign: Campaign, wave: int) -> WaveFigures | None:
    return next((f for f in wave_figures(campaign) if f.wave == wave), None)


def stop_reason(campaign: Campaign, figures: WaveFigures) -> str:
    """Why the wave stops the campaign, in words; "" when it does not."""
    if figures.wave == campaign.overridden_wave or not figures.size:
        return ""
    if figures.failed_percent > campaign.max_failed_percent:
        return (
            f"stopped: {figures.failed} of {figures.size} devices of wave {figures.wave} "
            f"failed or did not confirm ({figures.failed_percent:.0f} %, more than "
            f"{campaign.max_failed_percent:g} %)"
        )
    excess = figures.down_percent - figures.baseline_percent
    if figures.down and excess > campaign.max_down_percent:
        minutes = f"{campaign.soak_seconds / 60:g} min"
        were = "was" if figures.down_before == 1 else "were"
        return (
            f"stopped: {figures.down} of {figures.size} Down within {minutes} of their update "
            f"in wave {figures.wave} ({figures.down_before} {were} Down in as long before the "
            f"campaign; {excess:.0f} % more, allowed {campaign.max_down_percent:g} %)"
        )
    return ""
