"""An edit is in conflict only when a field of the form changed meanwhile: an action on the
device (its pending settings, its status) since the form was opened is none."""

import re

from django.conf import settings

from controlapi import ControlAPI
from tests.devices.forms import edit_form
from tests.fixtures.operations import writes

ORIGINALS = re.compile(r'<input type="hidden" name="(orig_[^"]+)" value="([^"]*)"')


def test_an_action_while_the_form_is_open_is_no_conflict(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    """Before, Sync then Save said "This device changed in the control API since you opened
    the form — Nothing was saved", every field alike but the one typed."""
    device = device_of_org(5)
    client = client_of(tenant_admin)
    data = {**edit_form(client, device.id), "customer_id": "CUST-4711"}
    client.post(f"/devices/{device.id}/actions/sync/", {"key": "s" * 32})
    cached_fleet.advance(5)  # and the device applies it

    response = client.post(f"/devices/{device.id}/edit/", data)

    assert response.status_code == 302
    patches = [e for e in cached_fleet.request_log()["entries"] if e["method"] == "PATCH"]
    assert patches[-1]["body"] == {"customer_id": "CUST-4711"}


def test_after_a_conflict_the_form_sent_again_saves_over_the_values_it_showed(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    data = {**edit_form(client, device.id), "name": "my-new-name"}
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        api.update_device(device.id, {"description": "changed by someone else"})
    first = client.post(f"/devices/{device.id}/edit/", data)
    shown = dict(ORIGINALS.findall(first.content.decode()))

    again = client.post(f"/devices/{device.id}/edit/", {**data, **shown})

    assert first.status_code == 409
    assert shown["orig_description"] == "changed by someone else"
    assert again.status_code == 302
    assert writes(cached_fleet, device.id) == 2  # the other person's, then ours
