"""Who may run campaigns: admins of the organization (the `firmware` action), NOC admins
and the command line. Anyone else finds no such campaign or organization (404), and a
campaign only ever reaches its own organization's devices."""

import pytest
from django.http import Http404

from accounts.models import Membership, Role
from campaigns import engine, services
from campaigns.models import CampaignDevice, Outcome
from tests.campaigns.conftest import IMAGE, TYPE, all_up, needing, patched, patches
from tests.fixtures.users import ORG_A, ORG_OTHER

pytestmark = pytest.mark.django_db


def _new(organization=ORG_A):
    return services.NewCampaign(organization_id=organization, type_id=TYPE, image_id=IMAGE,
                                canary=2, soak_minutes=0)  # fmt: skip


def test_a_tenant_cannot_target_another_organizations_devices(fleet, tenant_admin, outsider):
    with pytest.raises(Http404):
        services.create_campaign(user=tenant_admin, new=_new(ORG_OTHER))
    with pytest.raises(Http404):
        services.create_campaign(user=outsider, new=_new(ORG_A))


def test_a_role_without_firmware_updates_cannot_create_one(fleet, operator, viewer):
    for user in (operator, viewer):
        with pytest.raises(Http404):
            services.create_campaign(user=user, new=_new())


def test_another_tenant_cannot_start_pause_or_cancel_it(fleet, tenant_admin, outsider):
    campaign = services.create_campaign(user=tenant_admin, new=_new())
    for change in (services.start_campaign, services.pause_campaign, services.cancel_campaign):
        with pytest.raises(Http404):
            change(campaign=campaign, user=outsider)
    campaign.refresh_from_db()
    assert campaign.state == "draft"


def test_only_the_organizations_devices_are_planned_and_sent_to(
    fleet, target_devices, tenant_admin
):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    campaign = services.create_campaign(user=tenant_admin, new=_new())
    services.start_campaign(campaign=campaign, user=tenant_admin)
    fleet.clear_log()
    engine.advance(campaign.pk)

    rows = CampaignDevice.objects.filter(campaign=campaign)
    assert sorted(rows.values_list("device_id", flat=True)) == [d.id for d in devices]
    assert set(rows.values_list("organization_id", flat=True)) == {ORG_A}
    assert patches(fleet) == patched(needing(devices[:2]))


def test_a_creator_who_lost_the_role_sends_nothing_more(fleet, target_devices, tenant_admin):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    campaign = services.create_campaign(user=tenant_admin, new=_new())
    services.start_campaign(campaign=campaign, user=tenant_admin)
    Membership.objects.filter(user=tenant_admin).update(role=Role.VIEWER)
    fleet.clear_log()

    engine.advance(campaign.pk)

    assert patches(fleet) == {}
    first = CampaignDevice.objects.filter(campaign=campaign).first()
    assert first.outcome == Outcome.FAILED
    assert first.message.startswith("Its creator's role no longer allows")
    campaign.refresh_from_db()
    assert campaign.state == "stopped"  # one of a canary of 2: more than the 10 % allowed
