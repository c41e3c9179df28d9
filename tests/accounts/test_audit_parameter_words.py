"""The audit page's Parameters and Device columns read as words a NOC engineer uses:
weekdays and organizations by name, moments in the display zone, no internal keys, and the
device's name where the trail knows it; the CSV keeps each entry as recorded."""

import csv
import html
import io
import json
import re
from datetime import UTC, datetime, time, timedelta

import pytest

from accounts import audit
from maintenance_windows import services
from tests.fixtures.users import ORG_A, ORG_B, ORG_OTHER

pytestmark = pytest.mark.django_db

# 04:00 UTC on Sunday 6 December 2026 is 23:00 on Saturday the 5th in Bogota (UTC-5).
START = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)
ZONE = "America/Bogota"


@pytest.fixture
def bogota(settings):
    settings.DISPLAY_TIME_ZONE = ZONE


def rows(content: str) -> list[str]:
    """Each entry's row of the audit table, its tags removed."""
    body = content[content.index("<tbody>") : content.index("</tbody>")]
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", r)).split()) for r in
            body.split("</tr>")[:-1]]  # fmt: skip


def params_cells(content: str) -> list[str]:
    return [html.unescape(c) for c in re.findall(r'<code class="params">(.*?)</code>', content)]


def record(user, action, parameters, org=ORG_A, **fields):
    return audit.record_action(
        user=user, action=action, result=audit.OK, organization_id=org,
        parameters=parameters, **fields,
    )  # fmt: skip


def window_spec(**fields):
    base = {"organization_id": ORG_A, "reason": "OLT reboots", "starts_at": START}
    return services.WindowSpec(**(base | fields))


def test_a_weekly_windows_weekdays_local_start_and_moments_read_as_words(client_of, noc, bogota):
    services.create_window(
        window_spec(recurrence="weekly", weekdays=(6,), local_start=time(23),
                    duration_minutes=60, time_zone=ZONE),
        user=noc,
    )  # fmt: skip

    (words,) = params_cells(client_of(noc).get("/audit/").content.decode())

    assert "weekdays: Sunday" in words
    assert f"local start: 23:00 {ZONE}" in words
    assert "starts at: 2026-12-05 23:00" in words
    assert "no end" in words
    for raw in ("[6]", "no ends at", "2026-12-06T04:00", "+00:00", "time zone"):
        assert raw not in words


def test_a_daily_window_leaves_out_the_weekdays_it_has_none_of(client_of, noc):
    services.create_window(
        window_spec(recurrence="daily", local_start=time(2), duration_minutes=30), user=noc
    )

    (words,) = params_cells(client_of(noc).get("/audit/").content.decode())

    assert "weekdays" not in words and "[]" not in words
    assert "local start: 02:00 UTC" in words


def test_moments_with_any_offset_read_in_the_display_zone(client_of, noc, bogota):
    record(noc, "headless_create", {"scheduled_time": "2026-12-06T04:10:44.989906+00:00"})
    record(noc, "headless_create", {"scheduled_time": "2026-12-05T23:10:00-05:00"})

    cells = params_cells(client_of(noc).get("/audit/").content.decode())

    assert cells == ["scheduled time: 2026-12-05 23:10"] * 2


def test_an_import_names_its_organizations(client_of, noc):
    record(noc, "device_import", {"import_job": 4, "rows": 2, "organizations": [ORG_A, ORG_B]},
           org=None)  # fmt: skip

    (words,) = params_cells(client_of(noc).get("/audit/").content.decode())

    assert words == (
        f"import job #4; organizations: Test organization {ORG_A} (#{ORG_A}), "
        f"Test organization {ORG_B} (#{ORG_B}); rows: 2"
    )


def test_a_group_claims_internal_key_is_left_out(client_of, noc):
    record(noc, "claim_group", {"note": "fibre cut", "devices": 3, "group": "bd3ed708a141bcd2"},
           device_name="3 devices")  # fmt: skip

    content = client_of(noc).get("/audit/").content.decode()

    assert "bd3ed708a141bcd2" not in content
    assert params_cells(content) == ["devices: 3; note: fibre cut"]


def test_a_note_entry_says_which_note_and_how_long_it_is(client_of, noc):
    record(noc, "note_pin", {"note": 3, "length": 63}, device_id=2285, device_name="cpe-lobby")

    (words,) = params_cells(client_of(noc).get("/audit/").content.decode())

    assert words == "note #3; length: 63 characters"


def test_the_csv_keeps_each_entry_as_recorded_and_the_page_says_so(client_of, noc, bogota):
    services.create_window(
        window_spec(recurrence="weekly", weekdays=(6,), local_start=time(23),
                    duration_minutes=60, time_zone=ZONE),
        user=noc,
    )  # fmt: skip
    client = client_of(noc)

    body = b"".join(client.get("/audit/export.csv").streaming_content).decode()

    (row,) = csv.DictReader(io.StringIO(body))
    kept = json.loads(row["parameters"])
    assert kept["weekdays"] == [6] and kept["ends_at"] is None
    assert kept["starts_at"] == START.isoformat() and kept["time_zone"] == ZONE
    assert row["action"] == "maintenance_window_create"
    assert "The CSV keeps each entry as it was recorded" in client.get("/audit/").content.decode()


# --- the device column --------------------------------------------------------------------


def test_a_pinned_notes_entry_names_its_device(cached_fleet, device_of_org, client_of, viewer):
    device = device_of_org(ORG_A)
    client = client_of(viewer)
    client.post(f"/devices/{device.id}/notes/", {"text": "Hospital link"}, HTTP_HX_REQUEST="true")
    note_id = audit.AuditEntry.objects.get(action="note_add").parameters["note"]
    client.post(f"/devices/{device.id}/notes/{note_id}/pin/")
    client.post(f"/devices/{device.id}/notes/{note_id}/unpin/")

    shown = rows(client.get("/audit/").content.decode())

    named = f"{' '.join(device.name.split())} #{device.id}"
    pins = [r for r in shown if "Pin a note as a warning" in r or "Unpin a note" in r]
    assert len(pins) == 2 and all(named in r for r in pins)


def test_a_maintenance_windows_entries_name_their_one_device(client_of, noc):
    record(noc, "reboot", {}, device_id=2285, device_name="cpe-lobby")
    window = services.create_window(
        window_spec(device_ids=(2285,), ends_at=START + timedelta(hours=1)), user=noc
    )
    services.end_window(window, now=START, user=noc)

    shown = rows(client_of(noc).get("/audit/").content.decode())

    assert len(shown) == 3
    assert all("cpe-lobby #2285" in r for r in shown)


def test_a_tenant_never_sees_a_device_name_from_another_organizations_entry(
    client_of, tenant_admin, outsider
):
    record(outsider, "reboot", {}, org=ORG_OTHER, device_id=4242, device_name="their-secret")
    record(tenant_admin, "note_pin", {"note": 1, "length": 5}, device_id=4242)

    content = client_of(tenant_admin).get("/audit/").content.decode()

    assert "their-secret" not in content and "#4242" in content
