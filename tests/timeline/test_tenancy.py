"""The timeline and its notes answer 404 to a device outside the user's organizations,
exactly as to an unknown id; a note named under another device is unknown too."""

import pytest

from accounts.models import AuditEntry
from devices.note_models import Note
from tests.fixtures.pages import without_csrf_tokens

pytestmark = pytest.mark.django_db

UNKNOWN = 999_999_999


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/devices/{id}/timeline/"),
        ("post", "/devices/{id}/notes/"),
        ("post", "/devices/{id}/notes/{note}/pin/"),
        ("post", "/devices/{id}/notes/{note}/unpin/"),
        ("post", "/devices/{id}/notes/{note}/delete/"),
    ],
)
def test_a_device_outside_the_users_organizations_looks_unknown(
    method, path, cached_fleet, device_of_org, client_of, outsider, noc
):
    device = device_of_org(5)
    note = Note.objects.create(device_id=device.id, organization_id=5, author_name="noc",
                               text="mine", author=noc)  # fmt: skip
    client = client_of(outsider)
    send = getattr(client, method)

    theirs = send(path.format(id=device.id, note=note.pk), {"text": "hello"})
    unknown = send(path.format(id=UNKNOWN, note=note.pk), {"text": "hello"})

    assert theirs.status_code == unknown.status_code == 404
    assert without_csrf_tokens(theirs.content) == without_csrf_tokens(unknown.content)
    assert list(Note.objects.all()) == [note] and not Note.objects.get().pinned
    assert not AuditEntry.objects.exists()


def test_a_note_named_under_another_device_is_unknown(
    cached_fleet, device_of_org, fleet_devices, client_of, noc
):
    device = device_of_org(5)
    other = next(d for d in fleet_devices if d.id != device.id and d.organization_id == 5)
    note = Note.objects.create(device_id=other.id, organization_id=5, author_name="noc",
                               text="on the other one", author=noc)  # fmt: skip

    response = client_of(noc).post(f"/devices/{device.id}/notes/{note.pk}/delete/")

    assert response.status_code == 404
    assert Note.objects.filter(pk=note.pk).exists()


def test_the_timeline_page_without_javascript_is_a_whole_page(
    cached_fleet, device_of_org, client_of, viewer
):
    device = device_of_org(5)
    response = client_of(viewer).get(f"/devices/{device.id}/timeline/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Timeline of" in html and 'id="timeline-body"' in html
    assert response["Vary"].count("HX-Request") == 1
