"""Which devices a campaign updates, in which wave, and their Down rate before it.

The devices are read from the control API when the campaign starts (organization, type
and, when given, the uploaded serial numbers and the devices its saved view lists), in id
order: the canary is the first
devices, each wave the next ones. ASSUMPTION: id order is as good as any for picking a
canary; a random pick would make a campaign's waves differ from run to run.

The baseline of the Down rule: a device counts as "Down before" when the durable status
history (devices.history_models.StatusChange) saw it go Down in the soak-long period just
before the start (or it was Down at the start): the same devices over the same length of
time. A wave stops only when more of its devices go Down after their update than did so
before, by more than the rule allows.

A wave none of whose devices was updated (each already on the image, say) proves nothing:
the next device waiting is moved into it (`take_next_device`) and tried there, the wave
it leaves one smaller (and gone when empty, the later ones renumbered).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis
from django.db import transaction
from django.db.models import F

from accounts import tenancy
from campaigns.errors import CampaignError
from campaigns.models import FINAL, Campaign, CampaignDevice, Outcome
from campaigns.waves import wave_sizes
from controlapi import errors
from devices import list_selectors
from devices.models import StatusChange
from devices.upstream import control_api
from saved_views.selectors import view_filters, view_scope

MAX_DEVICES = 50_000  # ASSUMPTION: larger fleets run several campaigns (by type, say)


@dataclass
class Plan:
    devices: list = field(default_factory=list)  # controlapi Device records, in wave order
    sizes: list[int] = field(default_factory=list)
    left_out: str = ""

    @property
    def total(self) -> int:
        return len(self.devices)


def plan_devices(campaign: Campaign) -> Plan:
    try:
        with control_api() as api:
            found = list(
                api.iter_devices(organization=campaign.organization_id, type=campaign.type_id)
            )
    except errors.ControlAPIError as error:
        raise CampaignError(
            "The devices could not be read from the control API, so nothing was started: "
            + errors.as_sentence(error)
        ) from error
    # The upstream's filter is trusted only as far as it goes: the organization is checked.
    found = [d for d in found if d.organization_id == campaign.organization_id]
    plan = Plan()
    if campaign.serials:
        wanted = set(campaign.serials)
        found = [d for d in found if d.serial_number in wanted]
        missing = sorted(wanted - {d.serial_number for d in found})
        if missing:
            named = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
            plan.left_out = (
                f"{len(missing)} serial number{'s' if len(missing) != 1 else ''} not found in "
                f"the target: {named}"
            )
    if campaign.saved_view_id or campaign.saved_view_name:
        in_view = _devices_of_view(campaign)
        found = [d for d in found if d.id in in_view]
    found.sort(key=lambda d: d.id)
    if not found:
        raise CampaignError("No device matches this campaign's target: nothing to update.")
    busy = _still_updated_elsewhere(campaign, [d.id for d in found])
    if busy:
        said = _busy_words(busy)
        found = [d for d in found if d.id not in busy]
        if not found:
            raise CampaignError(f"Nothing was started: {said}.")
        plan.left_out = "; ".join(filter(None, [plan.left_out, said]))
    if len(found) > MAX_DEVICES:
        raise CampaignError(
            f"{len(found)} devices is more than one campaign updates ({MAX_DEVICES}): "
            "narrow it by type."
        )
    plan.devices = found
    plan.sizes = wave_sizes(len(found), campaign.canary, campaign.waves)
    return plan


# A campaign not over (a stopped one may be resumed) may still send to its devices.
NOT_OVER = (Campaign.State.RUNNING, Campaign.State.PAUSED, Campaign.State.STOPPED)


def _still_updated_elsewhere(campaign: Campaign, device_ids: list[int]) -> dict[int, int]:
    """device id -> the other campaign not over that may still send to it or is following
    its update: one device gets one update at a time."""
    rows = (
        CampaignDevice.objects.filter(campaign__state__in=NOT_OVER, device_id__in=device_ids)
        .exclude(campaign=campaign)
        .exclude(outcome__in=FINAL)
        .exclude(outcome=Outcome.CONFIRMED, soaked=True)
        .values_list("device_id", "campaign_id")
    )
    return dict(rows)


def _busy_words(busy: dict[int, int]) -> str:
    others = ", ".join(str(pk) for pk in sorted(set(busy.values())))
    one = len(set(busy.values())) == 1
    return (
        f"{len(busy)} device{'s' if len(busy) != 1 else ''} left out: "
        f"campaign{'' if one else 's'} {others} {'is' if one else 'are'} still updating them"
    )


def _devices_of_view(campaign: Campaign) -> set[int]:
    """The ids of the devices the campaign's saved view lists in its organization, read as
    its creator would (the command line: every organization) from the fleet cache.
    ASSUMPTION: the view is read once, when the campaign starts; devices that join it later
    are not added."""
    view = campaign.saved_view
    if view is None:
        raise CampaignError(
            f"Its saved view “{campaign.saved_view_name}” was deleted: nothing was started."
        )
    creator = campaign.created_by
    scope = tenancy.scope_for(creator, tenancy.FIRMWARE) if creator else tenancy.EVERYTHING
    scope = view_scope(view, scope.narrowed_to(campaign.organization_id))
    filters = view_filters(view, scope)
    try:
        # iter_matching reads every page; the limit is only the first page's.
        devices = list_selectors.iter_matching(
            scope.org_ids_or_none(), filters.without_paging(limit=1)
        )
        return {d.id for d in devices}
    except redis.RedisError:
        raise CampaignError(
            "A saved view is read from the fleet cache (Redis), which is unreachable: "
            "nothing was started."
        ) from None


def write_plan(campaign: Campaign, plan: Plan, *, now: datetime) -> None:
    ids = [d.id for d in plan.devices]
    since = now - timedelta(seconds=max(campaign.soak_seconds, 60))
    down_before = set(
        StatusChange.objects.filter(
            device_id__in=ids, to_status="Down", at__gte=since, at__lt=now
        ).values_list("device_id", flat=True)
    )
    rows, position = [], 0
    for wave, size in enumerate(plan.sizes, start=1):
        for device in plan.devices[position : position + size]:
            rows.append(
                CampaignDevice(
                    campaign=campaign,
                    device_id=device.id,
                    device_name=device.name[:255],
                    serial_number=device.serial_number[:255],
                    organization_id=device.organization_id,
                    wave=wave,
                    version_before=(device.software_version or "")[:100],
                    down_before=device.id in down_before or not device.is_up,
                )  # fmt: skip
            )
        position += size
    CampaignDevice.objects.bulk_create(rows, batch_size=1000)


def take_next_device(campaign: Campaign) -> bool:
    """Move the first device waiting in a later wave into the running campaign's current
    wave; False when no later device is left (or the campaign changed meanwhile)."""
    with transaction.atomic():
        row = (
            CampaignDevice.objects.select_for_update()
            .filter(campaign=campaign, wave__gt=campaign.wave, outcome=Outcome.WAITING)
            .order_by("wave", "device_id")
            .first()
        )
        if row is None:
            return False
        left = row.wave
        sizes = list(campaign.wave_sizes)
        sizes[campaign.wave - 1] += 1
        sizes[left - 1] -= 1
        if not sizes[left - 1]:
            del sizes[left - 1]  # no wave of no device is started
        if not Campaign.objects.filter(
            pk=campaign.pk, state=Campaign.State.RUNNING, wave=campaign.wave
        ).update(wave_sizes=sizes):
            return False
        CampaignDevice.objects.filter(pk=row.pk).update(wave=campaign.wave)
        if len(sizes) < len(campaign.wave_sizes):
            CampaignDevice.objects.filter(campaign=campaign, wave__gt=left).update(
                wave=F("wave") - 1
            )
    campaign.wave_sizes = sizes
    return True
