"""A device taken Down in the simulator notifies once after the rule's delay, and its
recovery once; a blip shorter than the delay notifies nothing."""

import hashlib
import hmac
import json

import pytest

from alerts.models import Delivery

pytestmark = pytest.mark.django_db


def _bodies(receiver):
    return [json.loads(r["body"]) for r in receiver.requests]


def test_a_device_down_notifies_once_after_the_delay_and_its_recovery_once(
    alerts, up_device, http_receiver, smtp_server
):
    device = up_device[0]
    alerts.rule(
        organization_id=5,
        destination_urls=[f"json://{http_receiver.url}/hook", "mailto://oncall@example.com"],
    )
    alerts.take(device, up=False)

    assert alerts.evaluate(after=30) == []  # within the delay
    sent = alerts.evaluate(after=61)
    assert [d.event for d in sent] == ["down", "down"]
    assert alerts.evaluate(after=200) == []

    (body,) = _bodies(http_receiver)
    assert body["event"] == "down" and body["version"] == 1
    assert body["device"] == {
        "id": device.id,
        "name": device.name,
        "serial_number": device.serial_number,
    }
    assert body["status"] == "Down"
    assert body["link"] == f"https://noc.example.com/devices/{device.id}/"
    (mail,) = smtp_server.messages
    assert mail["to"] == ["oncall@example.com"]
    assert device.name in mail["subject"] and "went Down" in mail["subject"]

    alerts.take(device, up=True)
    sent = alerts.evaluate(after=210)
    assert [d.event for d in sent] == ["up", "up"]
    assert alerts.evaluate(after=400) == []
    assert [b["event"] for b in _bodies(http_receiver)] == ["down", "up"]
    assert len(smtp_server.messages) == 2
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}


def test_a_blip_shorter_than_the_delay_notifies_nothing(alerts, up_device, http_receiver):
    device = up_device[0]
    alerts.rule(organization_id=5, destination_urls=[f"json://{http_receiver.url}/hook"])
    alerts.take(device, up=False)
    assert alerts.evaluate(after=10) == []
    alerts.take(device, up=True)

    assert alerts.evaluate(after=61) == []
    assert alerts.evaluate(after=600) == []
    assert http_receiver.requests == []


def test_a_rule_of_another_organization_hears_nothing(alerts, up_device, http_receiver):
    alerts.rule(organization_id=7, destination_urls=[f"json://{http_receiver.url}/hook"])
    alerts.take(up_device[0], up=False)

    assert alerts.evaluate(after=61) == []


def test_the_webhook_signature_verifies_with_the_secret_and_the_secret_is_not_sent(
    alerts, up_device, http_receiver
):
    alerts.rule(
        organization_id=5, delay_seconds=0,
        destination_urls=[f"json://{http_receiver.url}/hook?secret=s3cr3t-value&team=noc"],
    )  # fmt: skip
    alerts.take(up_device[0], up=False)
    alerts.evaluate(after=1)

    (request,) = http_receiver.requests
    expected = hmac.new(b"s3cr3t-value", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-NOC-Signature"] == f"sha256={expected}"
    assert request["path"] == "/hook?team=noc"
    assert json.loads(request["body"])["id"] == request["headers"]["X-NOC-Delivery"]
    wrong = hmac.new(b"another", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-NOC-Signature"] != f"sha256={wrong}"
