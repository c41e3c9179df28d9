"""Every stored value survives the edit form unchanged: opened and saved as a browser does,
the form sends nothing the person did not change."""

from html.parser import HTMLParser

import pytest
from django.conf import settings

from controlapi import ControlAPI
from tests.fixtures.operations import writes

pytestmark = pytest.mark.django_db


class _FormValues(HTMLParser):
    """The fields of the edit form as a browser submits them (newlines as CRLF)."""

    def __init__(self):
        super().__init__()
        self.values, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") != "submit":
            value = attrs.get("value") or ""
            if attrs.get("type") != "hidden":  # a text input's value holds no line break
                value = value.replace("\r", "").replace("\n", "")
            self.values[name] = value.replace("\r\n", "\n").replace("\n", "\r\n")
        elif tag == "select":
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            text = self.values[self._textarea] + data
            self.values[self._textarea] = text.replace("\r\n", "\n")

    def close(self):
        super().close()
        for name, value in self.values.items():
            if value.startswith("\n"):
                value = value[1:]  # the parser drops a textarea's first newline
            if "\n" in value and "\r\n" not in value:
                value = value.replace("\n", "\r\n")
            self.values[name] = value


def submitted(client, device_id) -> dict:
    html = client.get(f"/devices/{device_id}/edit/form/", HTTP_HX_REQUEST="true").content.decode()
    parser = _FormValues()
    parser.feed(html)
    parser.close()
    parser.values.pop("csrfmiddlewaretoken", None)
    return parser.values


STORED = {
    "unicode and long": {
        "name": "Routeur café ☕ 東京 " + "ñ" * 200,
        "customer_id": None,
        "serial_number_alt": "S" * 255,
        "location_name": "Zürich — Bahnhofstrasse",
        "latitude": "-89.999999",
        "longitude": "179.999999",
        "username": "admin",
        "password": "stored-secret-9",
    },
    "zero coordinates": {"latitude": "0", "longitude": "0.000000", "description": None},
    "description of many lines": {
        # 255 characters, as the control API allows, five of them line breaks
        "description": "\n".join(["x" * 50] * 6)[:255],
    },
    "every optional field empty": {
        "customer_id": None,
        "serial_number_alt": None,
        "location_name": None,
        "latitude": None,
        "longitude": None,
        "description": None,
        "username": None,
    },
}


@pytest.mark.parametrize("stored", STORED.values(), ids=STORED.keys())
def test_saving_the_edit_form_unchanged_sends_nothing(
    cached_fleet, device_of_org, tenant_admin, client_of, stored
):
    device = device_of_org(5)
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        api.update_device(device.id, stored)
    client = client_of(tenant_admin)
    data = submitted(client, device.id)
    assert "stored-secret-9" not in str(data)
    cached_fleet.clear_log()

    response = client.post(f"/devices/{device.id}/edit/", data)

    assert response.status_code == 302, response.context["form"].errors
    assert writes(cached_fleet, device.id) == 0


@pytest.mark.parametrize("stored", STORED.values(), ids=STORED.keys())
def test_renaming_sends_only_the_name(cached_fleet, device_of_org, tenant_admin, client_of, stored):
    device = device_of_org(5)
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        api.update_device(device.id, stored)
    client = client_of(tenant_admin)
    data = {**submitted(client, device.id), "name": "renamed"}
    cached_fleet.clear_log()

    response = client.post(f"/devices/{device.id}/edit/", data)

    assert response.status_code == 302, response.context["form"].errors
    patches = [e["body"] for e in cached_fleet.request_log()["entries"] if e["method"] == "PATCH"]
    assert patches == [{"name": "renamed"}]
