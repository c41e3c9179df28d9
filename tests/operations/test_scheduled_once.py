"""A "schedule an operation" form schedules at most one operation, however often it is sent
(a double click without JavaScript, a browser sending again after a slow answer): its
one-time key (devices.creation_keys) tells a form sent again from a form sent anew. Real
simulator over HTTP; its request log counts what reached the control API."""

import re

import pytest

from accounts.models import AuditEntry
from operations.models import HeadlessRecord
from tests.fixtures.operations import schedule

pytestmark = pytest.mark.django_db

SCHEDULES = "POST /api/v1/inventory_device_serial_headless_operation/"


def schedules_sent(sim_control) -> int:
    return sim_control.request_log()["counts"].get(SCHEDULES, 0)


def key_of(page: str) -> str:
    return re.search(r'name="submit_key" value="([^"]+)"', page).group(1)


def opened_key(client) -> str:
    return key_of(client.get("/operations/").content.decode())


def test_the_same_form_sent_twice_schedules_one_operation(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    client, serial = client_of(tenant_admin), device_of_org(5).serial_number
    key = opened_key(client)
    cached_fleet.clear_log()

    first = schedule(client, serial, submit_key=key)
    again = schedule(client, serial, submit_key=key)

    assert first.status_code == 302
    record = HeadlessRecord.objects.get()
    assert (again.status_code, again["Location"]) == (302, "/operations/")
    shown = client.get("/operations/").content.decode()
    assert f"This form was sent already: it scheduled transaction {record.txn_id}" in shown
    assert schedules_sent(cached_fleet) == 1
    assert AuditEntry.objects.filter(action="headless_create").count() == 1


def test_a_refused_form_is_sent_again_under_its_key(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    client, serial = client_of(tenant_admin), device_of_org(5).serial_number
    key = opened_key(client)
    cached_fleet.clear_log()
    cached_fleet.set_faults(next_errors=1, error_status=[503], method="POST")
    refused = schedule(client, serial, submit_key=key)
    assert refused.status_code == 400
    assert key_of(refused.content.decode()) == key  # the same form, still

    assert schedule(client, serial, submit_key=key).status_code == 302
    assert schedules_sent(cached_fleet) == 2  # the refused one and the scheduled one
    assert HeadlessRecord.objects.count() == 1


def test_a_form_whose_outcome_is_unknown_is_not_sent_again_under_the_same_key(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    client, serial = client_of(tenant_admin), device_of_org(5).serial_number
    key = opened_key(client)
    cached_fleet.clear_log()
    cached_fleet.set_faults(next_malformed=1, malformed="non_json", method="POST")
    unknown = schedule(client, serial, submit_key=key)
    assert unknown.status_code == 400
    assert key_of(unknown.content.decode()) != key

    again = schedule(client, serial, submit_key=key)

    assert again.status_code == 400
    assert "the operation may be scheduled" in again.content.decode()
    assert schedules_sent(cached_fleet) == 1
    fresh = key_of(again.content.decode())
    assert fresh != key  # sending it anyway is the user's choice, once they have looked
    assert schedule(client, serial, submit_key=fresh).status_code == 302
    assert schedules_sent(cached_fleet) == 2


@pytest.mark.parametrize("key", ["", "short", "<script>" * 4])
def test_a_form_without_a_valid_key_sends_nothing_and_keeps_what_was_typed(
    cached_fleet, device_of_org, tenant_admin, client_of, key
):
    serial = device_of_org(5).serial_number
    cached_fleet.clear_log()
    response = schedule(client_of(tenant_admin), serial, submit_key=key)

    page = response.content.decode()
    assert response.status_code == 400
    assert "This form was not sent: its page is too old" in page
    assert f'value="{serial}"' in page
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", key_of(page))
    assert schedules_sent(cached_fleet) == 0


def test_another_persons_key_schedules_nothing_and_tells_nothing(
    cached_fleet, device_of_org, tenant_admin, noc, client_of
):
    serial = device_of_org(5).serial_number
    key = opened_key(client_of(tenant_admin))
    assert schedule(client_of(tenant_admin), serial, submit_key=key).status_code == 302
    txn = HeadlessRecord.objects.get().txn_id
    cached_fleet.clear_log()

    replayed = schedule(client_of(noc), serial, submit_key=key)

    assert replayed.status_code == 400
    assert "This form was not sent" in replayed.content.decode()
    assert f"it scheduled transaction {txn}" not in replayed.content.decode()
    assert schedules_sent(cached_fleet) == 0


def test_the_same_operation_from_a_form_opened_again_is_asked_about_before_it_is_sent(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    # Back to a page the browser loads afresh renders a new key, and the browser puts the
    # values typed before back into it: the same operation, from what looks a new form.
    client, serial = client_of(tenant_admin), device_of_org(5).serial_number
    assert schedule(client, serial, submit_key=opened_key(client)).status_code == 302
    txn = HeadlessRecord.objects.get().txn_id
    cached_fleet.clear_log()

    key = opened_key(client)
    asked = schedule(client, serial, submit_key=key)

    page = asked.content.decode()
    assert asked.status_code == 409
    assert f"You scheduled this same operation (transaction {txn}) under a minute ago" in page
    assert "Schedule it a second time" in page
    assert f'value="{serial}"' in page and "firmware_image=47" in page
    assert key_of(page) == key
    assert schedules_sent(cached_fleet) == 0

    assert schedule(client, serial, submit_key=key, again="yes").status_code == 302
    assert schedules_sent(cached_fleet) == 1
    assert HeadlessRecord.objects.count() == 2


def test_another_persons_same_operation_is_named_and_a_different_one_is_not_asked_about(
    cached_fleet, device_of_org, tenant_admin, noc, client_of
):
    serial = device_of_org(5).serial_number
    assert schedule(client_of(noc), serial).status_code == 302
    txn = HeadlessRecord.objects.get().txn_id

    asked = schedule(client_of(tenant_admin), serial)
    assert asked.status_code == 409
    assert f"{noc.username} scheduled this same operation (transaction {txn})" in (
        asked.content.decode()
    )

    later = schedule(client_of(tenant_admin), serial, scheduled_time="2031-01-16T03:00")
    other = schedule(client_of(tenant_admin), serial, parameters="firmware_image=48")
    assert (later.status_code, other.status_code) == (302, 302)
    assert HeadlessRecord.objects.count() == 3
