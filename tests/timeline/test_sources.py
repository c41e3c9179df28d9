"""Each source of a device's timeline shows up in it with the right words and times: status
changes (and how long each state lasted), notifications, actions, edits with their diff,
maintenance-record changes, scheduled operations and notes; newest first, by kind, paged."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from devices.change_models import RecordedChange
from devices.history_models import StatusChange
from devices.models import ActionRecord
from devices.note_models import Note
from operations.models import HeadlessRecord
from tests.devices.forms import edit_form
from tests.fixtures.operations import schedule
from tests.timeline.conftest import entries, timeline_of
from timeline.entries import duration_words

pytestmark = pytest.mark.django_db


def test_status_changes_say_how_long_each_state_lasted(alerts, up_device, client_of, noc):
    device = up_device[0]
    alerts.take(device, up=False)
    alerts.take(device, up=True)
    down, up = StatusChange.objects.filter(device_id=device.id).order_by("at")

    html = timeline_of(client_of(noc), device.id, kind="status")

    (newest, older) = entries(html)
    assert "Down → Up" in newest[1] and "Still Up, for" in newest[1] and "so far" in newest[1]
    assert "Up → Down" in older[1]
    lasted = duration_words(up.at - down.at)
    assert f"Down for {lasted} (seen by an incremental poll)" in older[1]
    assert f'datetime="{timezone.localtime(down.at).isoformat()}"' in html
    assert f'datetime="{timezone.localtime(up.at).isoformat()}"' in html


def test_a_notification_sent_for_the_device_is_in_its_timeline(
    alerts, up_device, http_receiver, client_of, tenant_admin, viewer
):
    device = up_device[0]
    alerts.rule(organization_id=5, destination_urls=[f"json://{http_receiver.url}/hook"],
                name="Night shift")  # fmt: skip
    alerts.take(device, up=False)
    (sent,) = alerts.evaluate(after=61)

    html = timeline_of(client_of(tenant_admin), device.id, kind="notifications")

    ((kind, words),) = entries(html)
    assert kind == "notifications"
    assert f"Notification: {sent.subject}" in words and "went Down" in words
    assert "Rule “Night shift” to json://" in words and "Sent" in words
    assert f'datetime="{timezone.localtime(sent.created_at).isoformat()}"' in html
    assert "/hook" not in html  # the destination is masked past its host
    # A viewer hears that it was sent, not where to.
    ((_, seen),) = entries(timeline_of(client_of(viewer), device.id, kind="notifications"))
    assert "Night shift" in seen and "json://" not in seen


def test_an_action_shows_who_asked_and_how_it_ended(cached_fleet, device_of_org, client_of, noc):
    device = device_of_org(5)
    client = client_of(noc)
    client.post(f"/devices/{device.id}/actions/reboot/", {"key": "k" * 32})
    record = ActionRecord.objects.get(device_id=device.id)

    ((kind, words),) = entries(timeline_of(client, device.id, kind="actions"))

    assert kind == "actions"
    assert "Reboot by noc — Accepted by the control API" in words
    assert f"{timezone.localtime(record.created_at):%Y-%m-%d %H:%M:%S}" in words


def test_an_edit_shows_old_and_new_values_of_the_changed_fields_only(
    cached_fleet, device_of_org, client_of, tenant_admin
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    data = edit_form(client, device.id)
    data.update(name="renamed-cpe", description="moved to rack 4")
    assert client.post(f"/devices/{device.id}/edit/", data).status_code == 302

    html = timeline_of(client, device.id, kind="edits")

    ((kind, words),) = entries(html)
    assert "Device edited by tenant-admin — Saved" in words
    assert f"Name {device.name} → renamed-cpe" in words
    before = device.description or "—"
    assert f"Description {before} → moved to rack 4" in words
    assert "Serial number" not in words  # unchanged fields are not listed
    assert html.count('data-field="') == 2


def test_a_new_password_is_shown_as_changed_and_kept_nowhere(
    cached_fleet, device_of_org, client_of, tenant_admin
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    data = edit_form(client, device.id)
    data.update(password="n3w-Dev1ce-pw", username="cpe-admin-2")
    assert client.post(f"/devices/{device.id}/edit/", data).status_code == 302

    html = timeline_of(client, device.id)

    ((_, words),) = [e for e in entries(html) if e[0] == "edits"]
    assert "Management password changed (hidden)" in words
    assert "→ cpe-admin-2" in words
    assert "n3w-Dev1ce-pw" not in html
    assert "n3w-Dev1ce-pw" not in str(RecordedChange.objects.get(device_id=device.id).changes)
    assert "n3w-Dev1ce-pw" not in str(AuditEntry.objects.get(action="device_edit").parameters)


def test_a_maintenance_record_change_shows_its_diff_with_secrets_masked(
    cached_fleet, device_of_org, client_of, tenant_admin
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    form = {"operational_status": "maintenance", "assigned_user": "ana@example.com",
            "configuration": "alert_level=high\nwifi_password=hunter22",
            "time_zone": "UTC"}  # fmt: skip
    assert client.post(f"/devices/{device.id}/maintenance/", form).status_code == 302

    html = timeline_of(client, device.id, kind="maintenance")

    ((kind, words),) = entries(html)
    assert "Maintenance record changed by tenant-admin — Saved" in words
    assert "Operational status — → maintenance" in words
    assert "Assigned user — → ana@example.com" in words
    assert "alert_level" in words and "hunter22" not in html
    assert "hunter22" not in str(RecordedChange.objects.get(device_id=device.id).changes)


def test_a_scheduled_operation_is_in_the_timeline(
    cached_fleet, device_of_org, client_of, tenant_admin
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    assert schedule(client, device.serial_number).status_code == 302
    record = HeadlessRecord.objects.get()

    ((kind, words),) = entries(timeline_of(client, device.id, kind="scheduled"))

    assert "Firmware update scheduled by tenant-admin" in words
    assert f"transaction {record.txn_id}" in words
    assert "For 2031-01-16" in words


def test_a_scheduled_operations_status_is_in_words_with_its_tone(
    cached_fleet, device_of_org, client_of, tenant_admin
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    schedule(client, device.serial_number)
    HeadlessRecord.objects.update(status="in_progress")

    html = timeline_of(client, device.id, kind="scheduled")

    ((kind, words),) = entries(html)
    assert "Status: In progress" in words and "in_progress" not in words
    assert "tone-pending" in html
    HeadlessRecord.objects.update(status="failed")
    assert "tone-failed" in timeline_of(client, device.id, kind="scheduled")
    HeadlessRecord.objects.update(status="awaiting_reply")
    ((kind, words),) = entries(timeline_of(client, device.id, kind="scheduled"))
    assert "Status: awaiting_reply" in words


def test_entries_come_newest_first_and_the_filter_keeps_one_kind(
    cached_fleet, device_of_org, client_of, tenant_admin
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    client.post(f"/devices/{device.id}/notes/", {"text": "first: checked the fibre"})
    # A sync: a reboot's answer takes the device Down, a status change of its own.
    client.post(f"/devices/{device.id}/actions/sync/", {"key": "r" * 32})
    client.post(f"/devices/{device.id}/notes/", {"text": "second: synced it"})

    kinds = [kind for kind, _ in entries(timeline_of(client, device.id))]
    assert kinds == ["notes", "actions", "notes"]
    only_notes = entries(timeline_of(client, device.id, kind="notes"))
    assert [w.split(" Note by tenant-admin ")[-1] for _, w in only_notes] == [
        "second: synced it",
        "first: checked the fibre",
    ]
    assert "Nothing of this kind" in timeline_of(client, device.id, kind="edits")


def test_older_entries_are_on_the_next_page(cached_fleet, device_of_org, client_of, noc):
    device = device_of_org(5)
    start = timezone.now() - timedelta(hours=1)
    Note.objects.bulk_create(
        Note(device_id=device.id, organization_id=5, author_name="noc", text=f"note {i}",
             created_at=start + timedelta(minutes=i))
        for i in range(30)
    )  # fmt: skip
    client = client_of(noc)

    first = timeline_of(client, device.id)
    assert len(entries(first)) == 25
    assert "note 29" in first and "note 5" in first and "note 4" not in first
    older = re.search(r'href="([^"]+before=[^"]+)"[^>]*rel="next"', first).group(1)
    second = client.get(older.replace("&amp;", "&"), HTTP_HX_REQUEST="true").content.decode()
    assert [w.split()[-1] for _, w in entries(second)] == ["4", "3", "2", "1", "0"]
    assert 'rel="next"' not in second and ">Newest<" in second


def test_a_cursor_that_is_not_a_time_shows_the_newest_page(
    cached_fleet, device_of_org, client_of, noc
):
    device = device_of_org(5)
    Note.objects.create(device_id=device.id, organization_id=5, author_name="noc", text="hi")
    for cursor in ("yesterday'<script>", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        html = timeline_of(client_of(noc), device.id, before=cursor, kind="nope")
        assert [kind for kind, _ in entries(html)] == ["notes"]


def test_removing_a_destination_keeps_the_record_of_what_was_sent_to_it(
    alerts, up_device, http_receiver, client_of, tenant_admin
):
    device = up_device[0]
    rule = alerts.rule(organization_id=5, name="Night shift",
                       destination_urls=[f"json://{http_receiver.url}/hook",
                                         "json://receiver.example:8080/other"])  # fmt: skip
    alerts.take(device, up=False)
    sent = alerts.evaluate(after=61)
    removed = rule.destinations.get(url=f"json://{http_receiver.url}/hook")
    client = client_of(tenant_admin)
    response = client.post(f"/alerts/{rule.pk}/edit/", {
        "name": rule.name, "organization": "5", "events": ["down"], "delay_seconds": "60",
        "stuck_minutes": "60", "storm_threshold": "20", "remove_destinations": [str(removed.pk)],
    })  # fmt: skip
    assert response.status_code == 302

    # The notifications already sent to it are evidence: still on the rule's page and in
    # the device's timeline, with where they went and each try's answer.
    assert len(sent) == 2
    page = client.get(f"/alerts/{rule.pk}/").content.decode()
    assert page.count(sent[0].subject) == 2
    assert removed.masked in page
    found = entries(timeline_of(client, device.id, kind="notifications"))
    assert len(found) == 2
    assert any(f"to {removed.masked}" in words for _, words in found)


def test_deleting_a_rule_keeps_the_notifications_it_sent_in_the_devices_timeline(
    alerts, up_device, http_receiver, client_of, tenant_admin, viewer
):
    device = up_device[0]
    rule = alerts.rule(organization_id=5, name="Night shift",
                       destination_urls=[f"json://{http_receiver.url}/hook"])  # fmt: skip
    alerts.take(device, up=False)
    (sent,) = alerts.evaluate(after=61)
    client = client_of(tenant_admin)
    assert client.post(f"/alerts/{rule.pk}/delete/").status_code == 302

    # What was sent is evidence: the device's timeline still says it, and to whom.
    ((_, words),) = entries(timeline_of(client, device.id, kind="notifications"))
    assert f"Notification: {sent.subject}" in words and "Sent" in words
    assert "Rule “Night shift” (deleted since) to json://" in words
    ((_, seen),) = entries(timeline_of(client_of(viewer), device.id, kind="notifications"))
    assert "Night shift" in seen and "json://" not in seen


def test_a_deleted_fleet_wide_rules_notifications_stay_for_noc_staff_only(
    alerts, up_device, http_receiver, client_of, noc, tenant_admin
):
    device = up_device[0]
    rule = alerts.rule(organization_id=None, name="Fleet pager",
                       destination_urls=[f"json://{http_receiver.url}/hook"])  # fmt: skip
    alerts.take(device, up=False)
    alerts.evaluate(after=61)
    assert client_of(noc).post(f"/alerts/{rule.pk}/delete/").status_code == 302

    ((_, words),) = entries(timeline_of(client_of(noc), device.id, kind="notifications"))
    assert "Rule “Fleet pager” (deleted since) to json://" in words
    assert entries(timeline_of(client_of(tenant_admin), device.id, kind="notifications")) == []
