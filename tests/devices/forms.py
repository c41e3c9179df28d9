"""A new device's fields, and the edit form as a browser posts it back."""

import html as html_lib
import re

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
