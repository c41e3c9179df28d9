"""Create, edit (changed fields only, conflicts shown) and delete, through the Django client."""

import pytest
from django.conf import settings

from accounts.models import AuditEntry
from controlapi import ControlAPI
from tests.devices.forms import NEW, edit_form
from tests.fixtures.operations import writes

pytestmark = pytest.mark.django_db


def api():
    return ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN)


def test_create_posts_the_device_and_audits_it_without_the_password(
    upstream, tenant_admin, client_of
):
    response = client_of(tenant_admin).post("/devices/new/", NEW)
    assert response.status_code == 302
    with api() as client:
        device = next(client.iter_devices(organization=5))  # noqa: F841 -- the fleet answers
    entry = AuditEntry.objects.get(action="device_create")
    assert entry.result == "ok"
    assert entry.parameters["password"] == "[redacted]"
    assert "device-pw-123" not in str(entry.parameters)


def test_a_device_is_created_without_a_password_as_an_imported_row_is(
    upstream, tenant_admin, client_of
):
    fields = {k: v for k, v in NEW.items() if k != "password"}
    response = client_of(tenant_admin).post("/devices/new/", fields)
    assert response.status_code == 302
    created = AuditEntry.objects.get(action="device_create")
    assert created.result == "ok" and "password" not in created.parameters


def test_create_shows_upstream_errors_on_their_fields_and_keeps_the_input(
    upstream, tenant_admin, fleet_devices, client_of
):
    taken = fleet_devices[0].serial_number
    response = client_of(tenant_admin).post("/devices/new/", {**NEW, "serial_number": taken})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Another device has this serial number already" in html
    assert "inventory device with this" not in html
    assert 'value="new-router-1"' in html
    assert "device-pw-123" not in html  # the password is never echoed back


def test_create_says_an_unknown_device_type_in_words(upstream, tenant_admin, client_of):
    response = client_of(tenant_admin).post("/devices/new/", {**NEW, "type": "9999"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "No device type 9999 is known to the control API." in html
    assert "Invalid pk" not in html


def test_create_offers_only_organizations_where_the_user_may_create(
    upstream, tenant_admin, client_of
):
    html = client_of(tenant_admin).get("/devices/new/").content.decode()
    assert 'value="5"' in html
    assert 'value="11"' not in html


def test_create_into_another_organization_is_refused(upstream, tenant_admin, client_of):
    response = client_of(tenant_admin).post("/devices/new/", {**NEW, "organization_id": "11"})
    assert response.status_code == 400  # not a choice: nothing sent
    assert not AuditEntry.objects.exists()


def test_an_operator_cannot_open_the_create_page(upstream, operator, client_of):
    assert client_of(operator).get("/devices/new/").status_code == 404


def test_edit_patches_only_the_changed_fields(cached_fleet, device_of_org, tenant_admin, client_of):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    data = edit_form(client, device.id)
    data["name"] = "renamed-device"
    response = client.post(f"/devices/{device.id}/edit/", data)
    assert response.status_code == 302
    patches = [e for e in cached_fleet.request_log()["entries"] if e["method"] == "PATCH"]
    assert [p["body"] for p in patches] == [{"name": "renamed-device"}]


def test_edit_after_an_upstream_change_shows_both_versions(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    data = edit_form(client, device.id)
    with api() as upstream_api:
        upstream_api.update_device(device.id, {"description": "changed by someone else"})
    data["name"] = "my-new-name"
    response = client.post(f"/devices/{device.id}/edit/", data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed in the control API since you opened the form" in html
    assert "changed by someone else" in html
    assert 'value="my-new-name"' in html
    assert writes(cached_fleet, device.id) == 1  # only the other person's


def test_an_edit_sent_twice_is_saved_once_and_the_second_answer_says_saved(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    """A double click of Save without JavaScript: the second POST finds its change made."""
    device = device_of_org(5)
    client = client_of(tenant_admin)
    data = {**edit_form(client, device.id), "name": "renamed-once"}
    assert client.post(f"/devices/{device.id}/edit/", data).status_code == 302
    second = client.post(f"/devices/{device.id}/edit/", data, follow=True)
    assert second.redirect_chain == [(f"/devices/{device.id}/", 302)]
    assert "Device saved." in second.content.decode()
    assert writes(cached_fleet, device.id) == 1
    assert AuditEntry.objects.filter(action="device_edit").count() == 1


def test_an_edit_whose_field_someone_set_otherwise_is_still_a_conflict(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    data = {**edit_form(client, device.id), "name": "mine"}
    with api() as upstream_api:
        upstream_api.update_device(device.id, {"name": "theirs"})
    response = client.post(f"/devices/{device.id}/edit/", data)
    assert response.status_code == 409
    assert writes(cached_fleet, device.id) == 1  # only the other person's


def test_edit_is_404_for_an_outsider(cached_fleet, device_of_org, outsider, client_of):
    device = device_of_org(5)
    assert client_of(outsider).get(f"/devices/{device.id}/edit/").status_code == 404
    assert client_of(outsider).post(f"/devices/{device.id}/edit/", {}).status_code == 404


def test_delete_answered_409_is_explained(cached_fleet, device_of_org, tenant_admin, client_of):
    device = device_of_org(5)
    cached_fleet.settings(op_delay_seconds=120)
    with api() as upstream_api:
        upstream_api.reboot(device.id)  # pending work: the upstream refuses the delete
    response = client_of(tenant_admin).post(
        f"/devices/{device.id}/delete/", {"confirm_name": device.name}
    )
    assert response.status_code == 409
    assert "work still depends on it" in response.content.decode()
    assert AuditEntry.objects.get(action="device_delete").upstream_status == 409


def test_delete_removes_the_device(cached_fleet, device_of_org, tenant_admin, client_of):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    response = client.post(f"/devices/{device.id}/delete/", {"confirm_name": device.name})
    assert response.status_code == 302
    assert client.get(f"/devices/{device.id}/").status_code == 410  # gone, and says by whom


def test_delete_needs_the_name(cached_fleet, device_of_org, tenant_admin, client_of):
    device = device_of_org(5)
    response = client_of(tenant_admin).post(
        f"/devices/{device.id}/delete/", {"confirm_name": "nope"}
    )
    assert response.status_code == 400
    assert writes(cached_fleet, device.id, method="DELETE") == 0


def test_delete_is_404_for_an_outsider(cached_fleet, device_of_org, outsider, client_of):
    device = device_of_org(5)
    assert (
        client_of(outsider)
        .post(f"/devices/{device.id}/delete/", {"confirm_name": device.name})
        .status_code
        == 404
    )


THIRTY_DIGITS = "123456789012345678901234567890"


@pytest.mark.parametrize("field", ["type", "update_frequency"])
def test_create_refuses_a_number_too_large_on_its_field_and_sends_nothing(
    upstream, tenant_admin, client_of, field
):
    response = client_of(tenant_admin).post("/devices/new/", {**NEW, field: THIRTY_DIGITS})

    assert response.status_code == 400
    assert "2147483647" in response.context["form"].errors[field][0]
    html = response.content.decode()
    assert f'value="{THIRTY_DIGITS}"' in html  # what was typed is kept
    assert not [e for e in upstream.request_log()["entries"] if e["method"] == "POST"]


def test_edit_refuses_an_update_frequency_too_large(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    data = {**edit_form(client, device.id), "update_frequency": THIRTY_DIGITS}

    response = client.post(f"/devices/{device.id}/edit/", data)

    assert response.status_code == 400
    assert "seconds from 1 to 2147483647" in response.context["form"].errors["update_frequency"][0]
    assert writes(cached_fleet, device.id) == 0


def test_a_refused_edit_asks_for_the_typed_password_again(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    """The password is never rendered back: saving again as shown would drop the new one
    without a word, so the form says it must be typed again."""
    device = device_of_org(5)
    client = client_of(tenant_admin)
    data = {**edit_form(client, device.id), "password": "new-pw-77", "latitude": "north"}

    response = client.post(f"/devices/{device.id}/edit/", data)

    assert response.status_code == 400
    assert "Type the password again" in response.context["form"].errors["password"][0]
    assert "new-pw-77" not in response.content.decode()


def test_a_refused_create_asks_for_the_typed_password_again(upstream, tenant_admin, client_of):
    response = client_of(tenant_admin).post("/devices/new/", {**NEW, "latitude": "north"})

    assert response.status_code == 400
    assert "Type the password again" in response.context["form"].errors["password"][0]
    assert NEW["password"] not in response.content.decode()


COORDINATE_MISTAKES = {
    "latitude 100": ("latitude", "100", "Latitude is between -90 and 90."),
    "latitude -90.5 with 7 places": ("latitude", "-90.5000001", "Latitude is between -90 and 90."),
    "longitude 200": ("longitude", "200", "Longitude is between -180 and 180."),
    "longitude 7 places": ("longitude", "10.1234567", "Longitude has at most 6 decimal places."),
}


def assert_one_coordinate_message(response, field, value, message):
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    html = response.content.decode()
    assert html.count(message) == 1
    assert "Ensure" not in html and "digits" not in html
    assert f'value="{value}"' in html  # what was typed is kept


def test_an_edit_clearing_one_coordinate_is_refused_and_sends_nothing(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    """Latitude kept, longitude cleared: "Device saved." and the page said "Coordinates: not
    set" while the timeline said "Longitude -74.08 → —"."""
    device = device_of_org(5)
    client = client_of(tenant_admin)
    form = {**edit_form(client, device.id), "latitude": "4.5", "longitude": ""}

    response = client.post(f"/devices/{device.id}/edit/", form)

    assert response.status_code == 400
    assert "Give the longitude too: a location needs both coordinates (or neither)." in (
        response.content.decode()
    )
    assert writes(cached_fleet, device.id) == 0


def test_create_with_a_latitude_alone_is_refused(upstream, tenant_admin, client_of):
    response = client_of(tenant_admin).post("/devices/new/", {**NEW, "longitude": ""})
    assert "Give the longitude too" in response.content.decode()
    assert not [e for e in upstream.request_log()["entries"] if e["method"] == "POST"]


@pytest.mark.parametrize(
    ("field", "value", "message"), COORDINATE_MISTAKES.values(), ids=COORDINATE_MISTAKES
)
def test_edit_says_a_coordinate_mistake_once_in_words(
    cached_fleet, device_of_org, tenant_admin, client_of, field, value, message
):
    device = device_of_org(5)
    client = client_of(tenant_admin)

    response = client.post(f"/devices/{device.id}/edit/", {**edit_form(client, device.id),
                                                            field: value})  # fmt: skip

    assert_one_coordinate_message(response, field, value, message)
    assert writes(cached_fleet, device.id) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"), COORDINATE_MISTAKES.values(), ids=COORDINATE_MISTAKES
)
def test_create_says_a_coordinate_mistake_once_in_words(
    upstream, tenant_admin, client_of, field, value, message
):
    response = client_of(tenant_admin).post("/devices/new/", {**NEW, field: value})

    assert_one_coordinate_message(response, field, value, message)
    assert not [e for e in upstream.request_log()["entries"] if e["method"] == "POST"]
