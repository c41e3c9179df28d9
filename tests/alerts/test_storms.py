"""More than a rule's storm threshold of its devices Down in one poll: one grouped message
per destination, saying what they share, instead of one per device."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from fleet import polling

pytestmark = pytest.mark.django_db


def _take_down(alerts, devices):
    for device in devices:
        alerts.sim.set_status(device.id, up=False)
    alerts.poll()


def test_300_devices_down_at_once_send_one_grouped_message(
    alerts, all_devices, http_receiver, smtp_server
):
    alerts.sim.resize(450)
    alerts.poll(polling.FULL)
    up = [d for d in all_devices() if d.status == "Up"]
    assert len(up) >= 300
    alerts.rule(
        destination_urls=[f"json://{http_receiver.url}/hook", "mailto://oncall@example.com"],
        storm_threshold=20,
    )
    _take_down(alerts, up[:300])

    sent = alerts.evaluate(after=61)

    assert [d.event for d in sent] == ["storm", "storm"]
    assert alerts.evaluate(after=120) == []
    (request,) = http_receiver.requests
    body = json.loads(request["body"])
    assert body["group"]["count"] == 300
    assert len(body["group"]["devices"]) == 50
    # All 300 fit in one link to the triage board narrowed to them.
    linked = parse_qs(urlsplit(body["link"]).query)["devices"][0].split(",")
    assert body["link"].startswith("https://noc.example.com/triage/?devices=")
    assert sorted(map(int, linked)) == sorted(d.id for d in up[:300])
    (mail,) = smtp_server.messages
    assert "300 devices went Down together" in mail["subject"]


def test_a_group_says_what_its_devices_share_and_links_to_them(alerts, up_device, http_receiver):
    alerts.rule(organization_id=5, destination_urls=[f"json://{http_receiver.url}/hook"],
                storm_threshold=5)  # fmt: skip
    chosen = up_device[:8]
    _take_down(alerts, chosen)

    assert [d.event for d in alerts.evaluate(after=61)] == ["storm"]

    body = json.loads(http_receiver.requests[0]["body"])
    organization = body["group"]["shared"][0]
    assert organization == {
        "fact": "organization", "value": 5, "name": organization["name"], "count": 8, "total": 8,
    }  # fmt: skip
    assert body["link"].startswith("https://noc.example.com/triage/?devices=")
    assert sorted(d["id"] for d in body["group"]["devices"]) == sorted(d.id for d in chosen)


def test_a_group_too_large_for_one_link_links_to_what_all_of_it_shares(
    alerts, up_device, http_receiver, monkeypatch
):
    monkeypatch.setattr("alerts.messages.LINKED_DEVICES", 5)
    alerts.rule(organization_id=5, destination_urls=[f"json://{http_receiver.url}/hook"],
                storm_threshold=5)  # fmt: skip
    _take_down(alerts, up_device[:8])

    alerts.evaluate(after=61)

    body = json.loads(http_receiver.requests[0]["body"])
    assert urlsplit(body["link"]).path == "/triage/"
    assert parse_qs(urlsplit(body["link"]).query)["organization"] == ["5"]
    assert "devices" not in parse_qs(urlsplit(body["link"]).query)


def test_their_recovery_is_grouped_too(alerts, up_device, http_receiver):
    alerts.rule(organization_id=5, destination_urls=[f"json://{http_receiver.url}/hook"],
                storm_threshold=5)  # fmt: skip
    chosen = up_device[:8]
    _take_down(alerts, chosen)
    alerts.evaluate(after=61)
    for device in chosen:
        alerts.sim.set_status(device.id, up=True)
    alerts.poll()

    assert [d.event for d in alerts.evaluate(after=120)] == ["storm_up"]


def test_as_many_as_the_threshold_are_sent_one_by_one(alerts, up_device, http_receiver):
    alerts.rule(organization_id=5, destination_urls=[f"json://{http_receiver.url}/hook"],
                storm_threshold=5)  # fmt: skip
    _take_down(alerts, up_device[:5])

    assert [d.event for d in alerts.evaluate(after=61)] == ["down"] * 5
