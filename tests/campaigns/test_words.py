"""A campaign's target in words, as its page and `firmware_campaign show` write it."""

import pytest
from django.utils import timezone

from campaigns import engine, services
from campaigns.models import Campaign, Outcome
from campaigns.rules import WaveFigures, stop_reason
from campaigns.summary import show_lines, target_words
from tests.campaigns.conftest import IMAGE, TYPE, all_up
from tests.fixtures.users import ORG_A


@pytest.mark.django_db
def test_one_serial_number_is_said_in_the_singular():
    one = Campaign(organization_id=5, image_id=3, serials=["SN-1"])
    two = Campaign(organization_id=5, image_id=3, serials=["SN-1", "SN-2"])

    assert target_words(one) == "Organization 5 (#5), 1 serial number"
    assert target_words(two) == "Organization 5 (#5), 2 serial numbers"


@pytest.mark.django_db
def test_a_canary_of_one_device_is_said_in_the_singular(fleet, target_devices, tenant_admin):
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    new = services.NewCampaign(
        organization_id=ORG_A, type_id=TYPE, image_id=IMAGE, canary=1, waves="100%",
        soak_minutes=2, confirm_timeout_minutes=3, max_failed_percent=20, max_down_percent=20,
        serials=(devices[0].serial_number,),
    )  # fmt: skip
    campaign = services.create_campaign(user=tenant_admin, new=new)

    services.start_campaign(campaign=campaign, user=tenant_admin)
    engine.advance(campaign.pk, now=timezone.now())

    texts = [d.text for d in campaign.decisions.all()]
    assert any(t.endswith(": 1 device in 1 wave (1)") for t in texts), texts
    assert "canary started: 1 device" in texts, texts
    assert "wave 1: 1 device," in "\n".join(show_lines(campaign))


def test_one_device_down_before_is_said_in_the_singular():
    campaign = Campaign(organization_id=5, image_id=3, max_down_percent=10, soak_seconds=600)
    figures = WaveFigures(wave=2, size=10, counts={Outcome.DOWN: 5}, down_before=1)

    reason = stop_reason(campaign, figures)

    assert "(1 was Down in as long before the campaign;" in reason, reason
