"""Notes on a device: anyone who may see it adds one (POST, CSRF, audited, bounded, kept on
error); its author or an admin pins, unpins and deletes it; a pinned note is a warning at
the top of the device page and a marker in the device list and on the triage board."""

import pytest
from django.test import Client

from accounts.models import AuditEntry
from devices.note_models import NOTE_MAX_LENGTH, Note
from tests.timeline.conftest import entries, timeline_of

pytestmark = pytest.mark.django_db


def add(client, device_id, text, **fields):
    return client.post(f"/devices/{device_id}/notes/", {"text": text, **fields},
                       HTTP_HX_REQUEST="true")  # fmt: skip


def test_a_viewer_adds_a_note_that_is_audited_without_its_text(
    cached_fleet, device_of_org, client_of, viewer
):
    device = device_of_org(5)
    response = add(client_of(viewer), device.id, "Customer says the CPE reboots at night")

    assert response.status_code == 200
    ((kind, words),) = entries(response.content.decode())
    assert kind == "notes"
    assert words.endswith("Note by viewer Customer says the CPE reboots at night")
    note = Note.objects.get()
    assert (note.device_id, note.organization_id, note.author, note.pinned) == (
        device.id, 5, viewer, False,
    )  # fmt: skip
    entry = AuditEntry.objects.get(action="note_add")
    assert (entry.device_id, entry.organization_id, entry.username) == (device.id, 5, "viewer")
    assert entry.parameters == {"note": note.pk, "length": len(note.text)}


def test_a_note_too_long_is_refused_and_what_was_typed_is_kept(
    cached_fleet, device_of_org, client_of, viewer
):
    device = device_of_org(5)
    text = "x" * (NOTE_MAX_LENGTH + 1)
    html = add(client_of(viewer), device.id, text).content.decode()

    assert f"A note is at most {NOTE_MAX_LENGTH} characters (this one has {len(text)})" in html
    assert f">\n{text}</textarea>" in html
    assert not Note.objects.exists() and not AuditEntry.objects.exists()


def test_an_empty_note_is_refused_in_words_without_javascript(
    cached_fleet, device_of_org, client_of, viewer
):
    device = device_of_org(5)
    response = client_of(viewer).post(f"/devices/{device.id}/notes/", {"text": "   "})
    assert response.status_code == 400
    assert "Type the note first." in response.content.decode()


def test_adding_a_note_needs_the_csrf_token(cached_fleet, device_of_org, viewer, key_prefix):
    device = device_of_org(5)
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)
    assert client.post(f"/devices/{device.id}/notes/", {"text": "hi"}).status_code == 403
    assert not Note.objects.exists()


def test_the_display_role_sees_the_timeline_but_cannot_add_a_note(
    cached_fleet, device_of_org, client_of, display_user
):
    device = device_of_org(5)
    client = client_of(display_user)
    assert 'name="text"' not in timeline_of(client, device.id)

    html = add(client, device.id, "from the wall").content.decode()

    assert "Your role in this organization does not allow adding notes." in html
    assert not Note.objects.exists() and not AuditEntry.objects.exists()


def _note(device, author, *, pinned=False):
    return Note.objects.create(device_id=device.id, organization_id=device.organization_id,
                               author=author, author_name=author.username, text="Fibre cut",
                               pinned=pinned)  # fmt: skip


def test_the_author_pins_and_unpins_a_note_and_each_is_audited(
    cached_fleet, device_of_org, client_of, viewer
):
    device = device_of_org(5)
    note = _note(device, viewer)
    client = client_of(viewer)

    html = client.post(f"/devices/{device.id}/notes/{note.pk}/pin/",
                       HTTP_HX_REQUEST="true").content.decode()  # fmt: skip

    assert Note.objects.get().pinned
    assert entries(html)[0][1].endswith("Pinned warning by viewer Fibre cut")
    # The device page's warnings follow, out of band.
    assert '<div id="pinned-warnings" hx-swap-oob="true">' in html and "Fibre cut" in html
    client.post(f"/devices/{device.id}/notes/{note.pk}/unpin/")
    assert not Note.objects.get().pinned
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "note_pin", "note_unpin",
    ]  # fmt: skip


def test_only_the_author_or_an_admin_may_pin_or_delete(
    cached_fleet, device_of_org, client_of, viewer, operator, tenant_admin
):
    device = device_of_org(5)
    note = _note(device, viewer)
    pin, delete = (f"/devices/{device.id}/notes/{note.pk}/{w}/" for w in ("pin", "delete"))

    refused = client_of(operator).post(pin, HTTP_HX_REQUEST="true").content.decode()
    assert "Only the note&#x27;s author or an admin of its organization" in refused
    assert 'action="' + pin + '"' not in timeline_of(client_of(operator), device.id)
    client_of(operator).post(delete)
    assert not Note.objects.get().pinned and Note.objects.exists()

    client_of(tenant_admin).post(pin)
    assert Note.objects.get().pinned
    client_of(tenant_admin).post(delete)
    assert not Note.objects.exists()
    assert AuditEntry.objects.filter(action="note_delete", username="tenant-admin").exists()


def test_a_pinned_note_is_a_warning_on_the_device_page(
    cached_fleet, device_of_org, client_of, viewer
):
    device = device_of_org(5)
    add(client_of(viewer), device.id, "Do not reboot: hospital link", pin="on")

    html = client_of(viewer).get(f"/devices/{device.id}/").content.decode()

    top = html.index('id="pinned-warnings"')
    assert top < html.index('id="device-fields"')
    assert "Warning</strong> (pinned by viewer" in html[top:]
    assert "Do not reboot: hospital link" in html[top : html.index('id="device-fields"')]


def test_a_pinned_note_marks_the_devices_row_in_the_list(
    cached_fleet, device_of_org, client_of, viewer
):
    device = device_of_org(5)
    add(client_of(viewer), device.id, "Do not reboot: hospital link", pin="on")
    add(client_of(viewer), device.id, "an ordinary note")

    html = client_of(viewer).get("/devices/", {"q": device.serial_number}).content.decode()

    row = html[html.index(f'data-device-id="{device.id}"') :].split("</tr>")[0]
    assert 'title="Warning: Do not reboot: hospital link"' in row
    assert html.count("pinned-marker") == 1


def test_a_pinned_note_marks_the_device_on_the_triage_board(
    alerts, up_device, client_of, tenant_admin
):
    device = up_device[0]
    alerts.take(device, up=False)
    add(client_of(tenant_admin), device.id, "Known outage: street works", pin="on")

    html = client_of(tenant_admin).get("/triage/").content.decode()

    row = html[html.index(f'<tr class="triage-row" data-device-id="{device.id}"') :]
    assert 'title="Warning: Known outage: street works"' in row.split("</tr>")[0]


def test_a_note_of_another_tenant_is_never_shown(
    cached_fleet, device_of_org, client_of, noc, viewer
):
    """A note kept while the device was in another organization stays with that one."""
    device = device_of_org(5)
    Note.objects.create(device_id=device.id, organization_id=11, author_name="x",
                        text="their secret plan", pinned=True)  # fmt: skip

    assert "their secret plan" not in timeline_of(client_of(viewer), device.id)
    page = client_of(viewer).get(f"/devices/{device.id}/").content.decode()
    assert "their secret plan" not in page
    assert "their secret plan" in timeline_of(client_of(noc), device.id)


def test_the_same_note_sent_again_is_kept_once(cached_fleet, device_of_org, client_of, viewer):
    """Before, the note's form sent again (a double click without JavaScript, Back and send)
    added the same note twice."""
    device, client = device_of_org(5), client_of(viewer)
    add(client, device.id, "Customer away until Monday")

    again = add(client, device.id, " Customer away until Monday ")

    assert again.status_code == 200
    assert [k for k, _ in entries(again.content.decode())].count("notes") == 1
    assert Note.objects.count() == 1
    assert AuditEntry.objects.filter(action="note_add").count() == 1
    # Another text is another note.
    add(client, device.id, "Customer back on Monday")
    assert Note.objects.count() == 2
