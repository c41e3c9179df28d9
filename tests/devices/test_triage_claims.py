"""A claim ("I'm on it") stays with its device while it is in trouble: a flap (Up for a
moment, then Down again) keeps it on the board, in the Flapping list and on the wall; it
ends when someone releases it, or once the device has stayed Up for claims.KEPT_UP.

The polls here are the worker's (devices.tasks), which end claims after each poll, as in
the demo."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from controlapi import ControlAPI
from devices import claims, configured, tasks
from devices.models import Claim, ClaimEvent
from tests.fixtures.users import ORG_A

pytestmark = pytest.mark.django_db

NOTE = "ONT swapped, waiting for it to sync"


@pytest.fixture
def worker_poll(still_fleet, cache_settings):
    """`worker_poll()`: the worker's next poll of the simulator (the first one is full)."""
    tasks.poll_fleet.apply()
    return lambda: tasks.poll_fleet.apply()


@pytest.fixture
def claimed(client_of, operator, worker_poll, still_fleet, all_devices):
    """A device of organization 5 gone Down, claimed by the operator from the flat list."""
    device = next(d for d in all_devices() if d.is_up and d.organization_id == ORG_A)
    still_fleet.set_status(device.id, up=False)
    worker_poll()
    client_of(operator).post(f"/triage/{device.id}/claim/?view=list", {"note": NOTE})
    return device


def board_row(content: str, kind: str, device_id: int) -> str:
    """The words of the device's row in one list of the board ("" when it is not there)."""
    table = re.search(rf'data-kind="{kind}">(.*?)</table>', content, re.S)
    row = re.search(rf'data-device-id="{device_id}">(.*?)</tr>', table.group(1), re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", row.group(1)).split()) if row else ""


def comes_up(still_fleet, worker_poll, device):
    still_fleet.set_status(device.id, up=True)
    worker_poll()


def goes_down(still_fleet, worker_poll, device):
    still_fleet.set_status(device.id, up=False)
    worker_poll()


def test_a_flap_keeps_the_claim_on_the_board_and_in_the_flapping_list(
    client_of, noc, claimed, still_fleet, worker_poll
):
    colleague = client_of(noc)
    comes_up(still_fleet, worker_poll, claimed)
    colleague.get("/triage/?view=list")  # someone looks at the board while it is Up
    goes_down(still_fleet, worker_poll, claimed)

    content = colleague.get("/triage/?view=list").content.decode()

    for kind in ("down", "flapping"):
        row = board_row(content, kind, claimed.id)
        assert f"operator : {NOTE}" in row, kind
        assert "I'm on it" not in row, kind


def test_a_flap_keeps_who_is_on_it_on_the_wall(client_of, noc, claimed, still_fleet, worker_poll):
    comes_up(still_fleet, worker_poll, claimed)
    goes_down(still_fleet, worker_poll, claimed)

    panel = client_of(noc).get("/wall/panels/triage/", HTTP_HX_REQUEST="true").content.decode()

    row = re.search(rf'<tr data-device="{claimed.id}">(.*?)</tr>', panel, re.S).group(1)
    assert "operator" in row and "nobody" not in row


def test_a_refresh_that_sees_the_device_up_keeps_the_claim(
    client_of, noc, claimed, still_fleet, worker_poll
):
    still_fleet.set_status(claimed.id, up=True)
    tasks.refresh_device.apply(args=[claimed.id])  # "Refresh now" on its page
    goes_down(still_fleet, worker_poll, claimed)

    content = client_of(noc).get("/triage/?view=list").content.decode()

    assert f"operator : {NOTE}" in board_row(content, "down", claimed.id)


def test_a_claim_ends_once_its_device_has_stayed_up_long_enough(
    client_of, noc, claimed, still_fleet, worker_poll
):
    comes_up(still_fleet, worker_poll, claimed)
    kept_while_up = Claim.objects.filter(device_id=claimed.id).exists()

    # The worker's poll once the device has been Up for KEPT_UP.
    later = datetime.now(UTC) + claims.KEPT_UP
    claims.end_claims_up_again(configured.read_model(for_pages=False), now=later)
    goes_down(still_fleet, worker_poll, claimed)

    row = board_row(client_of(noc).get("/triage/?view=list").content.decode(), "down", claimed.id)
    assert kept_while_up
    assert "I'm on it" in row and "operator" not in row


def test_a_claim_on_a_stuck_device_up_for_long_is_not_ended_by_a_poll(
    client_of, noc, worker_poll, still_fleet, settings, all_devices
):
    """Pending settings stuck on a device Up since long ago: the poll leaves the claims of
    devices with pending settings to the board, which keeps this one while it lists it."""
    long_ago = datetime.now(UTC) - claims.KEPT_UP
    device = next(
        d
        for d in all_devices()
        if d.pending_settings and d.is_up and d.status_change and d.status_change < long_ago
    )
    settings.TRIAGE_PENDING_MINUTES = 0
    client = client_of(noc)
    client.post(f"/triage/{device.id}/claim/", {"note": "chasing the pending config"})

    worker_poll()

    assert "chasing the pending config" in board_row(
        client.get("/triage/").content.decode(), "stuck", device.id
    )


def test_a_claim_ends_when_its_device_leaves_the_fleet(
    client_of, operator, noc, worker_poll, still_fleet, all_devices
):
    device = next(d for d in all_devices() if d.organization_id == ORG_A and not d.pending_settings)
    still_fleet.set_status(device.id, up=False)
    worker_poll()
    client_of(operator).post(f"/triage/{device.id}/claim/?view=list", {"note": NOTE})
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        api.delete_device(device.id)

    tasks.poll_fleet.apply(kwargs={"mode": "full"})  # the poll that finds it gone

    assert not Claim.objects.filter(device_id=device.id).exists()
    step = ClaimEvent.objects.filter(device_id=device.id).latest("at")
    assert (step.kind, step.holder) == (ClaimEvent.Kind.GONE, "operator")


def test_no_claim_ends_for_want_of_a_snapshot(claimed, redis_client, key_prefix):
    """Redis emptied (a restart without persistence): no device is known, none has left."""
    for key in redis_client.scan_iter(f"{key_prefix}*"):
        redis_client.delete(key)

    claims.end_claims_up_again(configured.read_model(for_pages=False), now=datetime.now(UTC))

    assert Claim.objects.filter(device_id=claimed.id).exists()


def test_claim_steps_are_pruned_with_the_status_history(claimed, settings):
    ClaimEvent.objects.update(at=datetime.now(UTC) - timedelta(days=31))
    settings.HISTORY_RETENTION_DAYS = 30

    tasks.prune_history.apply().get()

    assert not ClaimEvent.objects.exists()
