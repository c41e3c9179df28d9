"""The timeline tests' fixtures: the notification tests' clock and hands (polls of the
simulator, evaluations, deliveries), the campaign tests' fleet, a display-role user, and
the timeline read as a person's browser reads it."""

import re

import pytest

from accounts.models import Role
from tests.alerts.conftest import Alerts, alerts, up_device  # noqa: F401 -- fixtures
from tests.campaigns.conftest import fleet, target_devices  # noqa: F401 -- fixtures
from tests.fixtures.users import ORG_A, make_user

__all__ = ["Alerts"]


@pytest.fixture
def display_user(organizations):
    """A wall screen's account in organization 5: sees, never acts."""
    return make_user("wall-screen", memberships=[(ORG_A, Role.DISPLAY)])


def timeline_of(client, device_id, **params):
    """The timeline part as the device page loads it (htmx), as text."""
    response = client.get(f"/devices/{device_id}/timeline/", params, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def entries(html):
    """Each timeline entry's kind and visible words (its buttons left out), newest first."""
    found = re.findall(r'<li class="timeline-entry[^"]*" id="[^"]+" data-kind="(\w+)">(.*?)</li>',
                       html, re.S)  # fmt: skip
    shown = []
    for kind, body in found:
        body = re.sub(r'<div class="note-buttons">.*?</div>', "", body, flags=re.S)
        shown.append((kind, " ".join(re.sub(r"<[^>]+>", " ", body).split())))
    return shown
