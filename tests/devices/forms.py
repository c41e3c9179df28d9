"""A new device's fields, and the edit form as a browser posts it back."""

import html as html_lib
import re
from html.parser import HTMLParser

NEW = {
    "name": "new-router-1",
    "serial_number": "NEW-SERIAL-0001",
    "type": "12",
    "organization_id": "5",
    "latitude": "40.7128",
    "longitude": "-74.0060",
    "username": "cpe-admin",
    "password": "device-pw-123",
    "update_frequency": "300",
    # The form's one-time key, as the page renders it (devices.form_keys).
    "create_key": "new-device-form-0001",
}


def edit_form(client, device_id):
    """The edit form's fields as a browser would post them back (hidden ones included); the
    form is the part the edit page loads."""
    html = client.get(f"/devices/{device_id}/edit/form/", HTTP_HX_REQUEST="true").content.decode()
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    data.pop("csrfmiddlewaretoken", None)
    for name in (
        "name",
        "serial_number",
        "type",
        "update_frequency",
        "username",
        "latitude",
        "longitude",
        "location_name",
        "customer_id",
        "serial_number_alt",
    ):
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
        data[name] = match.group(1) if match else ""
    text = re.search(r'<textarea name="description"[^>]*>\n?(.*?)</textarea>', html, re.S)
    data["description"] = html_lib.unescape(text.group(1)) if text else ""
    data["organization_id"] = data["orig_organization_id"]
    return data


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


def form_values(html: str) -> dict:
    """Every field of the page's forms as a browser submits them, untouched."""
    parser = _FormValues()
    parser.feed(html)
    parser.close()
    parser.values.pop("csrfmiddlewaretoken", None)
    return parser.values
