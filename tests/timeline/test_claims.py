"""Claims ("I'm on it") in a device's timeline: who took it and with which note, and how it
ended: released by someone, or by itself once the device had stayed Up (a flap ends
nothing), so that anyone can later see who worked on the device."""

import html
from datetime import UTC, datetime

import pytest

from devices import claims, configured
from tests.timeline.conftest import entries, timeline_of

pytestmark = pytest.mark.django_db


def claim_entries(client, device_id):
    """The words of the device's claim entries, newest first, as a person reads them."""
    shown = entries(timeline_of(client, device_id))
    return [html.unescape(words) for kind, words in shown if kind == "claims"]


def test_a_claim_with_its_note_and_its_release_are_in_the_timeline(
    alerts, up_device, client_of, operator, tenant_admin, viewer
):
    device = up_device[0]
    alerts.take(device, up=False)
    client_of(operator).post(f"/triage/{device.id}/claim/", {"note": "truck rolled, ETA 40 min"})
    client_of(tenant_admin).post(f"/triage/{device.id}/release/")

    released, taken = claim_entries(client_of(viewer), device.id)

    assert "Claimed: I'm on it by operator" in taken and "truck rolled, ETA 40 min" in taken
    assert "Claim released by tenant-admin" in released and "operator's claim" in released


def test_a_flap_ends_no_claim_and_its_end_says_why(alerts, up_device, client_of, operator, viewer):
    device = up_device[0]
    alerts.take(device, up=False)
    client_of(operator).post(f"/triage/{device.id}/claim/", {"note": "on it"})
    alerts.take(device, up=True)
    alerts.take(device, up=False)
    alerts.take(device, up=True)
    during = claim_entries(client_of(viewer), device.id)

    later = datetime.now(UTC) + claims.KEPT_UP  # the worker's poll once it stayed Up
    claims.end_claims_up_again(configured.read_model(for_pages=False), now=later)

    ended, taken = claim_entries(client_of(viewer), device.id)
    assert len(during) == 1 and "Claimed: I'm on it by operator" in during[0]
    assert "Claim ended" in ended and "operator's claim" in ended
    assert "the device stayed Up for 1 h" in ended
    assert taken == during[0]


def test_a_group_claim_is_in_the_timeline_of_each_of_its_devices(
    alerts, up_device, client_of, operator, viewer
):
    devices = up_device[:3]
    for device in devices:
        alerts.sim.set_status(device.id, up=False)
    alerts.poll()

    client_of(operator).post(f"/triage/groups/{devices[0].id}/claim/", {"note": "power cut"})

    for device in devices:
        (taken,) = claim_entries(client_of(viewer), device.id)
        assert "Claimed: I'm on it by operator" in taken
        assert "power cut" in taken and "With the devices that went Down together" in taken
