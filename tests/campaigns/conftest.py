"""Campaigns against the session simulator: settings pointing at it, a fleet that holds
still and applies updates at once, and a way to step a campaign through simulated time."""

from datetime import UTC, datetime, timedelta

import pytest

from campaigns import engine, tasks
from campaigns.models import Campaign
from controlapi import ControlAPI
from tests.fixtures.simulator import ALL_TOKEN

TYPE = 21  # home_gateway
IMAGE = 64  # its newest image
VERSION = "3.3.1"


@pytest.fixture
def fleet(cache_settings, still_fleet):
    """The simulator with updates applied at the next request after they are sent; the
    settings point at it and at this test's Redis keys."""
    still_fleet.settings(op_delay_seconds=0)
    return still_fleet


@pytest.fixture
def target_devices(simulator):
    """The devices of an organization (and type), with their detail (the image they run)."""

    def read(organization, type_id=TYPE):
        with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
            found = api.iter_devices(organization=organization, type=type_id)
            return [api.get_device(d.id) for d in sorted(found, key=lambda d: d.id)]

    return read


@pytest.fixture
def start_worker(monkeypatch):
    """The page's Start handed to this list instead of the broker; calling the fixture does
    what a worker does with each start handed to it (campaigns.tasks.start_campaign)."""
    asked = []
    monkeypatch.setattr(
        "campaigns.views.queue_start", lambda *start: asked.append(start), raising=False
    )

    def run():
        while asked:
            tasks.start_campaign(*asked.pop(0))

    run.asked = asked
    return run


def all_up(control, devices):
    for device in devices:
        if not device.is_up:
            control.set_status(device.id, True)


def step_until_ended(campaign, *, every=timedelta(seconds=61), steps=60):
    """Step the campaign as beat would, each step `every` later on the campaign's clock,
    until it is no longer running; the campaign as it ended."""
    now = datetime.now(UTC)
    for _ in range(steps):
        engine.advance(campaign.pk, now=now)
        campaign.refresh_from_db()
        if campaign.state != Campaign.State.RUNNING:
            return campaign
        now += every
    raise AssertionError(f"still running after {steps} steps: {campaign.decisions.all()}")


def needing(devices):
    """The devices not yet on the campaign's image: the ones it sends a PATCH to."""
    return [d for d in devices if d.firmware_image != IMAGE]


def patched(devices) -> dict[str, int]:
    return {f"PATCH /api/v1/inventory_device/{d.id}/": 1 for d in devices}


def patches(control) -> dict[str, int]:
    return {
        request: count
        for request, count in control.request_log(last=0)["counts"].items()
        if request.startswith("PATCH ")
    }
