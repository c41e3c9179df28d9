"""The display role, a wall screen's account: lands on the wall, sees, and does nothing else
(every action and write refused on the server, no action buttons, no audit trail)."""

import re

import pytest

from accounts.models import AuditEntry
from devices.models import Claim
from tests.fixtures.users import ORG_A, PASSWORD


def login(client, user, **extra):
    return client.post(
        "/accounts/login/", {"username": user.username, "password": PASSWORD, **extra}
    )


@pytest.mark.parametrize("user", ["display", "tenant_display"])
def test_a_display_account_lands_on_the_wall(client, request, user, key_prefix):
    response = login(client, request.getfixturevalue(user))

    assert response.status_code == 302 and response["Location"] == "/wall/"


def test_a_display_account_still_goes_where_its_link_asked(client, display, key_prefix):
    response = client.post(
        "/accounts/login/?next=/devices/", {"username": "noc-wall", "password": PASSWORD}
    )

    assert response["Location"] == "/devices/"


def test_other_roles_still_land_on_the_overview(client, viewer, key_prefix):
    assert login(client, viewer)["Location"] == "/"


@pytest.mark.parametrize("path", ["/audit/", "/audit/export.csv"])
@pytest.mark.parametrize("user", ["display", "tenant_display"])
def test_a_display_account_has_no_audit_trail(client_of, request, user, path):
    assert client_of(request.getfixturevalue(user)).get(path).status_code == 404


def test_every_other_role_keeps_the_audit_trail(client_of, viewer):
    client = client_of(viewer)
    assert client.get("/audit/").status_code == 200
    assert client.get("/audit/export.csv").status_code == 200


def test_the_layout_offers_no_audit_link_to_a_display_account(client_of, display, viewer):
    assert 'href="/audit/"' not in client_of(display).get("/devices/").content.decode()
    assert 'href="/audit/"' in client_of(viewer).get("/devices/").content.decode()


@pytest.fixture
def down_device(polled, all_devices):
    return next(d for d in all_devices() if not d.is_up and d.organization_id == ORG_A)


WRITES = [
    "/triage/{id}/claim/",
    "/triage/{id}/release/",
    "/triage/groups/{id}/claim/",
    "/triage/groups/{id}/release/",
    "/triage/{id}/refresh/",
    "/triage/{id}/reboot/",
    "/devices/{id}/actions/reboot/",
    "/devices/{id}/edit/",
    "/devices/{id}/delete/",
    "/devices/{id}/maintenance/",
    "/devices/new/",
    "/maintenance-windows/new/",
    "/alerts/new/",
]


@pytest.mark.parametrize("path", WRITES)
@pytest.mark.parametrize("user", ["display", "tenant_display"])
def test_every_write_of_a_display_account_is_refused(
    client_of, request, polled, down_device, user, path
):
    """Refused the way each page refuses a role that may not (404, or the page saying why,
    an action's refusal audited as failed): nothing reaches the upstream, nothing changes."""
    client = client_of(request.getfixturevalue(user))
    polled.clear_log()

    response = client.post(path.format(id=down_device.id), {"note": "mine", "name": "x"})

    assert response.status_code in (302, 400, 404)
    sent = [e for e in polled.request_log(last=50)["entries"] if e["method"] != "GET"]
    assert not sent
    assert not AuditEntry.objects.filter(result=AuditEntry.Result.OK).exists()
    assert not Claim.objects.exists()


@pytest.mark.parametrize("path", WRITES[:4])
def test_a_display_account_claims_nothing_not_found(client_of, display, down_device, path):
    response = client_of(display).post(path.format(id=down_device.id), {"note": "mine"})

    assert response.status_code == 404
    assert not AuditEntry.objects.exists()


def test_a_display_accounts_triage_board_has_no_buttons(client_of, display, down_device):
    content = client_of(display).get("/triage/").content.decode()

    assert down_device.name in content
    assert "I'm on it" not in content and "Reboot</button>" not in content
    assert "Refresh</button>" not in content


def test_a_viewer_may_still_claim(client_of, viewer, down_device):
    client = client_of(viewer)
    assert "I'm on it" in client.get("/triage/").content.decode()

    client.post(f"/triage/{down_device.id}/claim/", {"note": "mine"})

    assert Claim.objects.get(device_id=down_device.id).user == viewer


def test_a_display_accounts_device_page_has_no_action_buttons(client_of, display, down_device):
    content = client_of(display).get(f"/devices/{down_device.id}/").content.decode()

    assert down_device.name in content
    assert "/actions/" not in content and "/edit/" not in content


def test_a_display_accounts_pages_offer_no_form_that_changes_anything(
    client_of, display, down_device
):
    """Only the layout's forms (the organization switcher, log out): no action, edit or claim."""
    client = client_of(display)
    for path in ("/", "/devices/", "/triage/", "/profiles/", "/operations/",
                 "/maintenance-windows/", f"/devices/{down_device.id}/", "/wall/"):  # fmt: skip
        content = client.get(path).content.decode()
        posts = set(re.findall(r'<form[^>]*method="post"[^>]*action="([^"]*)"', content))
        assert posts <= {"/organization/", "/accounts/logout/"}, path
        assert "hx-post" not in content, path
