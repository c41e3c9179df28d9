"""A campaign in words: the facts `firmware_campaign show` prints, one a line."""

from __future__ import annotations

from campaigns import rules
from campaigns.models import Campaign, CampaignDevice, Outcome
from campaigns.waves import format_waves
from campaigns.window import describe as describe_window
from campaigns.words import counted, tally
from devices.list_selectors import organization_names


def organization_words(organization_id: int, names: dict[int, str] | None = None) -> str:
    """The organization by its name and id, as the rest of the site names it."""
    names = names if names is not None else organization_names([organization_id])
    return f"{names[organization_id]} (#{organization_id})"


def target_words(campaign: Campaign) -> str:
    return (
        organization_words(campaign.organization_id)
        + (f", type {campaign.type_id}" if campaign.type_id else "")
        + (f", {counted(len(campaign.serials), 'serial number')}" if campaign.serials else "")
        + (f", saved view “{campaign.saved_view_name}”" if campaign.saved_view_name else "")
    )


def show_lines(campaign: Campaign) -> list[str]:
    """The campaign's state, target, rules and counts, one fact a line ("name: value")."""
    target = target_words(campaign)
    lines = [
        f"campaign: {campaign.pk}",
        f"state: {campaign.state}",
        f"target: {target}",
        f"image: {campaign.image_id}"
        + (f" (devices report {campaign.image_version})" if campaign.image_version else ""),
        f"waves: canary {campaign.canary}, then {format_waves(campaign.waves)}",
        f"stop rules: more than {campaign.max_failed_percent:g} % failed, or more than "
        f"{campaign.max_down_percent:g} % Down within {campaign.soak_seconds / 60:g} min "
        "beyond the rate before",
        f"window: {describe_window(campaign)}",
    ]
    if campaign.wave:
        lines.append(f"wave: {campaign.wave} of {campaign.wave_count}")
    counts = dict.fromkeys(Outcome.values, 0)
    for outcome in CampaignDevice.objects.filter(campaign=campaign).values_list(
        "outcome", flat=True
    ):
        counts[outcome] += 1
    lines.append(f"devices: {sum(counts.values())}")
    lines += [f"{outcome}: {n}" for outcome, n in counts.items()]
    for figures in rules.wave_figures(campaign):
        lines.append(
            f"wave {figures.wave}: {counted(figures.size, 'device')}, {figures.sent} sent, "
            + tally(figures)
        )
    if campaign.stop_reason:
        lines.append(f"stop reason: {campaign.stop_reason}")
    return lines
