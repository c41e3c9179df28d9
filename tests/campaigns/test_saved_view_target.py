"""A campaign narrowed by a saved view of the device list: only the devices the view lists
(read from the fleet cache when it starts, in the campaign's organization, as its creator
sees them) are updated; a view the creator may not open is a 404; without Redis nothing
starts and the reason is said."""

import pytest
from django.http import Http404

from campaigns import services
from campaigns.models import Campaign
from campaigns.summary import show_lines
from fleet import polling
from saved_views.models import SavedView
from tests.campaigns.conftest import (
    IMAGE,
    TYPE,
    all_up,
    needing,
    patched,
    patches,
    step_until_ended,
)
from tests.fixtures.users import ORG_A, ORG_OTHER

pytestmark = pytest.mark.django_db


@pytest.fixture
def polled(model, api_factory, poll_config, fleet):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    return fleet


def _new(view, **changes):
    return services.NewCampaign(organization_id=ORG_A, type_id=TYPE, image_id=IMAGE, canary=1,
                                waves="100%", soak_minutes=0, saved_view_id=view.pk,
                                **changes)  # fmt: skip


def test_only_the_devices_the_view_lists_are_updated(polled, target_devices, tenant_admin):
    devices = target_devices(ORG_A)
    all_up(polled, devices)
    in_view = [d for d in devices if "BOG-SUBA" in d.name]
    assert 0 < len(in_view) < len(devices)
    view = SavedView.objects.create(name="Suba", organization_id=ORG_A, query={"q": "BOG-SUBA"})
    campaign = services.create_campaign(user=tenant_admin, new=_new(view))
    services.start_campaign(campaign=campaign, user=tenant_admin)
    polled.clear_log()

    campaign = step_until_ended(campaign)

    assert campaign.state == Campaign.State.FINISHED
    assert sorted(campaign.devices.values_list("device_id", flat=True)) == [d.id for d in in_view]
    assert patches(polled) == patched(needing(in_view))
    target = f"target: Test organization {ORG_A} (#{ORG_A}), type {TYPE}, saved view “Suba”"
    assert target in show_lines(campaign)


def test_a_view_the_creator_may_not_open_is_not_found(fleet, tenant_admin, outsider):
    theirs = SavedView.objects.create(name="Theirs", organization_id=ORG_OTHER, query={})
    personal = SavedView.objects.create(name="Mine", owner=outsider, query={})
    for view in (theirs, personal):
        with pytest.raises(Http404):
            services.create_campaign(user=tenant_admin, new=_new(view))
    assert not Campaign.objects.exists()


def test_without_the_fleet_cache_a_view_campaign_does_not_start(fleet, redis_down, tenant_admin):
    view = SavedView.objects.create(name="Suba", organization_id=ORG_A, query={"q": "BOG-SUBA"})
    campaign = services.create_campaign(user=tenant_admin, new=_new(view))
    with pytest.raises(
        services.CampaignError, match="fleet cache \\(Redis\\), which is unreachable"
    ):
        services.start_campaign(campaign=campaign, user=tenant_admin)
    view.delete()
    campaign.refresh_from_db()
    assert campaign.state == "draft" and campaign.saved_view is None
    with pytest.raises(services.CampaignError, match="Its saved view “Suba” was deleted"):
        services.start_campaign(campaign=campaign, user=tenant_admin)
