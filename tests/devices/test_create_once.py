"""A "new device" form creates at most one device, however often it is sent: its one-time
key (devices.creation_keys) tells a form sent again from a form sent anew. Real simulator
over HTTP; its request log counts what reached the control API."""

import re
import threading

import pytest
from django.db import connections

from accounts.models import AuditEntry
from devices.models import DeviceCreation
from tests.devices.forms import NEW

pytestmark = pytest.mark.django_db

CREATES = "POST /api/v1/inventory_device/"


def creates_sent(sim_control) -> int:
    return sim_control.request_log()["counts"].get(CREATES, 0)


def opened_form(client) -> dict:
    """The new-device form's fields as its page gives them: NEW with the page's key."""
    page = client.get("/devices/new/").content.decode()
    return {**NEW, "create_key": key_of(page)}


def key_of(page: str) -> str:
    return re.search(r'name="create_key" value="([^"]+)"', page).group(1)


def test_the_same_form_sent_twice_creates_one_device_and_shows_it(
    upstream, tenant_admin, client_of
):
    """Before, the second sending was sent on: the control API refused the serial number it
    had just taken, so the page said "already exists" about the device this form created."""
    client = client_of(tenant_admin)
    form = opened_form(client)

    first = client.post("/devices/new/", form)
    again = client.post("/devices/new/", form, follow=True)

    assert first.status_code == 302
    assert again.redirect_chain[-1][0] == first["Location"]
    device_id = int(first["Location"].rstrip("/").rsplit("/", 1)[1])
    assert f"This form was sent already: it created device {device_id}" in again.content.decode()
    assert creates_sent(upstream) == 1
    assert AuditEntry.objects.filter(action="device_create").count() == 1


def test_a_refused_form_is_corrected_and_sent_again_under_its_key(
    upstream, fleet_devices, tenant_admin, client_of
):
    client = client_of(tenant_admin)
    form = opened_form(client)
    taken = fleet_devices[0].serial_number
    refused = client.post("/devices/new/", {**form, "serial_number": taken})
    assert refused.status_code == 400
    assert key_of(refused.content.decode()) == form["create_key"]  # the same form, still

    created = client.post("/devices/new/", form)

    assert created.status_code == 302
    assert creates_sent(upstream) == 2  # the refused one and the created one


@pytest.mark.parametrize("key", [None, "", "short", "<script>" * 4])
def test_a_form_without_a_valid_key_sends_nothing_and_keeps_what_was_typed(
    upstream, tenant_admin, client_of, key
):
    form = {name: value for name, value in NEW.items() if name != "create_key"}
    if key is not None:
        form["create_key"] = key
    response = client_of(tenant_admin).post("/devices/new/", form)

    page = response.content.decode()
    assert response.status_code == 400
    assert "This form was not sent: its page is too old" in page
    assert 'value="new-router-1"' in page
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", key_of(page))  # a fresh key to send it with
    assert creates_sent(upstream) == 0


def test_another_persons_key_creates_nothing_and_tells_nothing(
    upstream, tenant_admin, noc, client_of
):
    form = opened_form(client_of(tenant_admin))
    created = client_of(tenant_admin).post("/devices/new/", form)
    assert created.status_code == 302

    replayed = client_of(noc).post("/devices/new/", form)

    page = replayed.content.decode()
    assert replayed.status_code == 400
    assert "This form was not sent" in page
    assert created["Location"] not in page
    assert creates_sent(upstream) == 1


def test_a_form_whose_outcome_is_unknown_is_not_sent_again_under_the_same_key(
    upstream, tenant_admin, client_of
):
    client = client_of(tenant_admin)
    form = opened_form(client)
    upstream.set_faults(next_malformed=1, malformed="non_json", method="POST")
    unknown = client.post("/devices/new/", form)
    assert unknown.status_code == 400

    again = client.post("/devices/new/", form)

    assert again.status_code == 400
    assert "it may have been created. Search for its serial number" in again.content.decode()
    assert creates_sent(upstream) == 1
    # The page's new key is the user's choice to send it anyway, once they have looked.
    fresh = key_of(again.content.decode())
    assert fresh != form["create_key"]
    assert client.post("/devices/new/", {**form, "create_key": fresh}).status_code == 400
    assert creates_sent(upstream) == 2  # sent: the control API refused the serial it holds


@pytest.mark.skipif(
    connections["default"].vendor == "sqlite",
    reason="the in-memory test database of SQLite takes no two writers at once",
)
@pytest.mark.django_db(transaction=True)
def test_a_form_sent_again_while_the_first_has_no_answer_says_so_and_sends_nothing(
    upstream, tenant_admin, client_of
):
    client = client_of(tenant_admin)
    form = opened_form(client)
    upstream.set_faults(latency_ms=2000, method="POST")
    answers = {}

    def send_first():
        answers["first"] = client_of(tenant_admin).post("/devices/new/", form)
        connections.close_all()

    first = threading.Thread(target=send_first)
    first.start()
    for _ in range(100):  # until the first has claimed the key (and waits for its answer)
        if DeviceCreation.objects.filter(key=form["create_key"]).exists():
            break
        threading.Event().wait(0.05)
    meanwhile = client.post("/devices/new/", form)
    first.join()
    upstream.clear_faults()
    after = client.post("/devices/new/", form)

    page = meanwhile.content.decode()
    assert meanwhile.status_code == 409
    assert "This form is being sent already" in page
    assert 'value="new-router-1"' in page
    assert key_of(page) == form["create_key"]
    assert answers["first"].status_code == 302
    assert after["Location"] == answers["first"]["Location"]
    assert creates_sent(upstream) == 1
