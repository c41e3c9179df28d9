"""Reads for the campaign pages: campaigns a person may see, one campaign's progress,
its devices by outcome, image suggestions."""

from __future__ import annotations

import logging

import redis
from django.http import Http404

from accounts import tenancy
from campaigns import rules
from campaigns.models import Campaign, CampaignDevice, Outcome, outcome_label
from campaigns.words import counted
from devices import configured

log = logging.getLogger(__name__)


def campaigns_in(scope: tenancy.OrgScope):
    campaigns = Campaign.objects.all()
    if not scope.all:
        campaigns = campaigns.filter(organization_id__in=scope.ids)
    return campaigns


def campaign_for(user, campaign_id: int) -> Campaign:
    """The campaign, or 404 for one the user may not run (outsiders never learn it exists)."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or not tenancy.can(user, tenancy.FIRMWARE, campaign.organization_id):
        raise Http404("No such campaign.")
    return campaign


def progress(campaign: Campaign) -> list[dict]:
    """Per wave: its figures, the stop rules' figures against their thresholds."""
    rows = []
    # A finished or cancelled campaign has no wave under way.
    under_way = campaign.state in (Campaign.State.RUNNING, Campaign.State.PAUSED,
                                   Campaign.State.STOPPED)  # fmt: skip
    for figures in rules.wave_figures(campaign):
        rows.append(
            {
                "figures": figures,
                "name": "Canary" if figures.wave == 1 else f"Wave {figures.wave}",
                "current": under_way and figures.wave == campaign.wave,
                "failed_over": figures.failed_percent > campaign.max_failed_percent,
                "down_excess": max(0.0, figures.down_percent - figures.baseline_percent),
                "down_over": figures.down_percent - figures.baseline_percent
                > campaign.max_down_percent,
            }
        )
    return rows


def devices_of(campaign: Campaign, outcome: str = "", wave: int | None = None):
    devices = CampaignDevice.objects.filter(campaign=campaign)
    if outcome in Outcome.values:
        devices = devices.filter(outcome=outcome)
    if wave is not None:
        devices = devices.filter(wave=wave)
    return devices


def outcome_counts(campaign: Campaign) -> list[tuple[str, str, int]]:
    counts = dict.fromkeys(Outcome.values, 0)
    for outcome in CampaignDevice.objects.filter(campaign=campaign).values_list(
        "outcome", flat=True
    ):
        counts[outcome] += 1
    return [
        (o.value, outcome_label(campaign.state, o.value), counts[o.value])
        for o in Outcome
        if counts[o.value]
    ]


def serials_outside_target(campaign: Campaign) -> list[str] | None:
    """A draft's serial numbers that are not devices of its organization (and type) in the
    cached fleet, in the order given; None when the fleet cache cannot tell (unreachable, or
    no snapshot yet). A serial of another organization is told apart from none only by
    being listed: the draft's author may not see that organization."""
    if not campaign.serials:
        return []
    try:
        model = configured.read_model()
        if model.snapshot_info() is None:
            return None
        found = model.find_serials(campaign.serials)
        devices = model.get_devices(found.values())
    except redis.RedisError as error:
        log.warning("fleet cache unreachable, serial numbers not checked: %s", error)
        return None

    def in_target(serial: str) -> bool:
        device = devices.get(found.get(serial, -1))
        return (
            device is not None
            and device.organization_id == campaign.organization_id
            and (not campaign.type_id or device.type == campaign.type_id)
        )

    return [s for s in dict.fromkeys(campaign.serials) if not in_target(s)]


def type_suggestions(scope: tenancy.OrgScope) -> list[tuple[int, str]]:
    """(type id, name) of the types the cached fleet holds in the scope; empty without Redis."""
    try:
        return sorted(configured.read_model().device_types(scope.org_ids_or_none()).items())
    except redis.RedisError as error:
        log.warning("fleet cache unreachable, no type suggestions: %s", error)
        return []


def image_suggestions(scope: tenancy.OrgScope) -> list[tuple[int, str]]:
    """(image id, words) for the form's list: the images the cached fleet knows (version,
    type, on how many of the devices read one by one: only a device's own page carries its
    image), then those earlier campaigns installed (any id may be typed)."""
    org_ids = scope.org_ids_or_none()
    try:
        model = configured.read_model()
        suggestions = []
        for type_id, type_name in model.device_types(org_ids).items():
            for seen in model.firmware_images(type_id, org_ids):
                version = seen.version or "version unknown"
                on = counted(seen.devices, "device")
                suggestions.append((seen.image, f"{version} · {type_name} · seen on {on}"))
    except redis.RedisError as error:
        log.warning("fleet cache unreachable, no image suggestions: %s", error)
        suggestions = []
    return sorted(suggestions + _images_of_campaigns(scope, {i for i, _ in suggestions}))


def _images_of_campaigns(scope: tenancy.OrgScope, known: set[int]) -> list[tuple[int, str]]:
    """Images earlier campaigns installed, with the version devices reported after them."""
    learned = (
        campaigns_in(scope).exclude(image_version="").exclude(image_id__in=known)
        .values_list("image_id", "image_version").order_by("image_id", "-created_at")
    )  # fmt: skip
    return [
        (image, f"{version} · devices reported after an earlier campaign")
        for image, version in dict(reversed(list(learned))).items()
    ]
