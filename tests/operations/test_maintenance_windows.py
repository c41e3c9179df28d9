"""Maintenance windows' pages as NOC staff, a tenant admin and a viewer: making one-off and
weekly windows through the form, its words when something is wrong, ending them, who may
see what, and the record window a device's maintenance record opens and ends (the
simulator over real HTTP)."""

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from accounts.models import AuditEntry
from controlapi import ControlAPI
from devices import tasks
from maintenance_windows.models import MaintenanceWindow
from tests.fixtures.users import ORG_A, ORG_OTHER
from tests.operations.test_maintenance_and_scheduled import maintenance

pytestmark = pytest.mark.django_db


def later(hours: float) -> str:
    """A local date-time `hours` from now in UTC, as the datetime-local widget sends it."""
    return (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def create(client, **fields):
    data = {
        "organization": str(ORG_A),
        "covers": "organization",
        "recurrence": "once",
        "time_zone": "UTC",
        "starts_at": later(-1),
        "ends_at": later(2),
        "reason": "fibre works on the ring",
        **fields,
    }
    return client.post("/maintenance-windows/new/", data)


def window_of(org=ORG_A, **fields):
    now = datetime.now(UTC)
    base = {
        "organization_id": org,
        "reason": "core switch swap",
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + timedelta(hours=1),
    }
    return MaintenanceWindow.objects.create(**(base | fields))


def test_noc_staff_make_a_one_off_window_for_one_device_and_see_it_in_force(
    cached_fleet, device_of_org, noc, client_of
):
    device = device_of_org(ORG_A)
    client = client_of(noc)

    response = create(client, covers="devices", device_ids=str(device.id))

    window = MaintenanceWindow.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/maintenance-windows/{window.pk}/"
    )
    assert window.device_ids == [device.id] and window.owner_name == "noc"
    entry = AuditEntry.objects.get(action="maintenance_window_create")
    assert entry.organization_id == ORG_A and entry.device_id == device.id
    listed = client.get("/maintenance-windows/")
    assert [r["window"].pk for r in listed.context["in_force"]] == [window.pk]
    html = listed.content.decode()
    assert f"device {device.id} of Test organization 5" in html
    assert "fibre works on the ring" in html


def test_a_tenant_admin_makes_a_weekly_window_in_its_own_time_zone(
    cached_fleet, tenant_admin, client_of, settings
):
    settings.DISPLAY_TIME_ZONE = "Europe/Madrid"
    client = client_of(tenant_admin)

    response = create(
        client,
        recurrence="weekly",
        weekdays=["0", "2"],
        local_start="23:00",
        duration_minutes="120",
        time_zone="America/Bogota",
        starts_at="2030-01-01T00:00",
        ends_at="",
        reason="weekly reboot of the OLTs",
    )

    assert response.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert (window.weekdays, window.local_start, window.duration_minutes) == ([0, 2], time(23), 120)
    assert window.starts_at == datetime(2030, 1, 1, 5, tzinfo=UTC)  # midnight in Bogotá
    page = client.get(f"/maintenance-windows/{window.pk}/").content.decode()
    assert "Every Monday and Wednesday at 23:00 America/Bogota for 2 h" in page
    # 2030-01-02 is the first Wednesday: 23:00 in Bogotá, 05:00 the next day in Madrid.
    assert "2030-01-02 23:00" in page and "2030-01-03 05:00" in page
    assert [r["window"].pk for r in client.get("/maintenance-windows/").context["upcoming"]] == [
        window.pk
    ]


def test_the_form_keeps_what_was_typed_and_says_what_is_wrong_in_words(
    cached_fleet, tenant_admin, client_of
):
    client = client_of(tenant_admin)

    once = create(client, starts_at="2030-05-01T10:00", ends_at="2030-05-01T09:00")
    weekly = create(
        client,
        recurrence="weekly",
        local_start="02:00",
        duration_minutes="0",
        reason="keep this reason",
    )
    zone = create(client, time_zone="Mars/Olympus_Mons")

    assert once.status_code == 400
    assert "The end must be after the start." in once.content.decode()
    assert 'value="2030-05-01T09:00"' in once.content.decode()
    html = weekly.content.decode()
    assert "Choose at least one weekday for a weekly window." in html
    assert "The duration must be at least one minute." in html
    assert 'value="keep this reason"' in html and 'value="02:00"' in html
    assert "“Mars/Olympus_Mons” is not a time zone the dashboard knows." in zone.content.decode()
    assert not MaintenanceWindow.objects.exists()


def test_a_reason_longer_than_300_characters_is_refused_in_words_and_kept(
    cached_fleet, tenant_admin, client_of
):
    client = client_of(tenant_admin)
    too_long = "x" * 301

    response = create(client, reason=too_long)

    assert response.status_code == 400
    html = response.content.decode()
    assert "The reason must be at most 300 characters (it has 301)." in html
    assert f'value="{too_long}"' in html
    assert not MaintenanceWindow.objects.exists()
    assert create(client, reason="x" * 300).status_code == 302


def test_device_ids_of_another_organization_are_refused_as_unknown_ones_are(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    theirs = device_of_org(ORG_OTHER)

    response = create(
        client_of(tenant_admin), covers="devices", device_ids=f"{theirs.id} 999999999"
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert f"Not devices of Test organization 5: {theirs.id}, 999999999" in html
    assert f'value="{theirs.id} 999999999"' in html
    assert not MaintenanceWindow.objects.exists()


def test_an_organization_one_may_not_manage_is_refused_in_the_forms_words(
    cached_fleet, tenant_admin, client_of
):
    """It was Django's "Select a valid choice. 11 is not one of the available choices."."""
    response = create(client_of(tenant_admin), organization=str(ORG_OTHER))

    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose one of the organizations listed: you may only make windows for those." in html
    assert "Select a valid choice" not in html
    assert not MaintenanceWindow.objects.exists()


def test_without_the_fleet_cache_device_ids_cannot_be_checked_and_nothing_is_kept(
    cached_fleet, device_of_org, tenant_admin, client_of, settings
):
    device = device_of_org(ORG_A)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there: a real failure

    response = create(client_of(tenant_admin), covers="devices", device_ids=str(device.id))

    assert response.status_code == 400
    assert (
        "could not be checked: the fleet cache (Redis) is unreachable" in response.content.decode()
    )
    assert not MaintenanceWindow.objects.exists()


def test_a_viewer_sees_its_organizations_windows_but_may_neither_make_nor_end_one(
    cached_fleet, viewer, client_of
):
    window = window_of()
    client = client_of(viewer)

    listed = client.get("/maintenance-windows/")
    refused = create(client)
    ended = client.post(f"/maintenance-windows/{window.pk}/end/")

    assert [r["window"].pk for r in listed.context["in_force"]] == [window.pk]
    assert "New maintenance window" not in listed.content.decode()
    assert "End now" not in listed.content.decode()
    assert refused.status_code == 302 and MaintenanceWindow.objects.count() == 1
    assert ended.status_code == 302
    window.refresh_from_db()
    assert window.ended_at is None
    assert not AuditEntry.objects.filter(action__startswith="maintenance_window").exists()


def test_another_organizations_window_answers_404_and_is_not_listed(
    cached_fleet, outsider, client_of
):
    window = window_of()
    client = client_of(outsider)

    assert client.get(f"/maintenance-windows/{window.pk}/").status_code == 404
    assert client.post(f"/maintenance-windows/{window.pk}/end/").status_code == 404
    assert client.get("/maintenance-windows/999999/").status_code == 404
    assert client.get(f"/maintenance-windows/{2**70}/").status_code == 404
    assert client.post(f"/maintenance-windows/{2**70}/end/").status_code == 404
    assert "core switch swap" not in client.get("/maintenance-windows/").content.decode()
    # Nor may it be named in the form.
    assert create(client).status_code == 400
    window.refresh_from_db()
    assert window.ended_at is None and MaintenanceWindow.objects.count() == 1


def test_end_now_ends_a_window_for_good_and_is_audited(cached_fleet, tenant_admin, client_of):
    window = window_of()
    client = client_of(tenant_admin)

    response = client.post(f"/maintenance-windows/{window.pk}/end/", follow=True)

    window.refresh_from_db()
    assert window.ended_at is not None and window.ended_by == "tenant-admin"
    assert f"Maintenance window {window.pk} ended." in response.content.decode()
    assert AuditEntry.objects.get(action="maintenance_window_end").organization_id == ORG_A
    assert [r["window"].pk for r in client.get("/maintenance-windows/").context["past"]] == [
        window.pk
    ]
    assert client.get(f"/maintenance-windows/{window.pk}/end/").status_code == 405


def test_the_maintenance_record_opens_and_ends_the_devices_record_window(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(ORG_A)
    client = client_of(tenant_admin)

    assert maintenance(client, device.id).status_code == 302
    assert maintenance(client, device.id, maintenance_notes="fan swap, day 2").status_code == 302

    opened = MaintenanceWindow.objects.get(source="record")
    assert (opened.device_ids, opened.organization_id, opened.ends_at) == ([device.id], ORG_A, None)
    assert opened.reason == "fan swap, day 2" and opened.is_active(datetime.now(UTC))
    detail = client.get(f"/devices/{device.id}/").content.decode()
    assert "while its maintenance record says so (fan swap, day 2)" in detail
    assert f'href="/maintenance-windows/{opened.pk}/"' in detail

    assert maintenance(client, device.id, operational_status="active").status_code == 302
    opened.refresh_from_db()
    assert opened.ended_at is not None and not opened.is_active(datetime.now(UTC))
    assert "In maintenance" not in client.get(f"/devices/{device.id}/").content.decode()
    actions = list(
        AuditEntry.objects.filter(action__startswith="maintenance_window")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["maintenance_window_record_open", "maintenance_window_record_close"]


def test_a_record_window_is_ended_by_its_record_not_by_end_now(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    """Ended alone, it left the record saying "maintenance" beside a device no longer in
    maintenance: the page points to the record instead, and a POST ends nothing."""
    device = device_of_org(ORG_A)
    client = client_of(tenant_admin)
    maintenance(client, device.id, maintenance_notes="fan swap")
    window = MaintenanceWindow.objects.get(source="record")

    listed = client.get("/maintenance-windows/").content.decode()
    row = listed.split(f'data-window="{window.pk}"')[1].split("</tr>")[0]
    page = client.get(f"/maintenance-windows/{window.pk}/").content.decode()
    refused = client.post(f"/maintenance-windows/{window.pk}/end/", follow=True).content.decode()

    record_link = f'href="/devices/{device.id}/maintenance/"'
    assert "End now" not in row and record_link in row
    assert "End now" not in page and record_link in page
    assert "it ends when the record is saved with another status" in page
    assert "follows the maintenance record of device" in refused and "Nothing was ended" in refused
    window.refresh_from_db()
    assert window.ended_at is None
    assert "In maintenance" in client.get(f"/devices/{device.id}/").content.decode()
    assert not AuditEntry.objects.filter(action="maintenance_window_end").exists()


def test_deleting_a_device_ends_its_record_window(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(ORG_A)
    client = client_of(tenant_admin)
    maintenance(client, device.id, maintenance_notes="fan swap")

    client.post(f"/devices/{device.id}/delete/", {"confirm_name": device.name})

    window = MaintenanceWindow.objects.get(source="record")
    assert window.ended_at is not None and window.ended_by == "tenant-admin"
    listed = client.get("/maintenance-windows/").context
    assert [r["window"].pk for r in listed["past"]] == [window.pk] and not listed["in_force"]
    page = client.get(f"/maintenance-windows/{window.pk}/").content.decode()
    assert "Ended by hand" not in page and "<dt>Ended</dt>" in page
    assert AuditEntry.objects.filter(action="maintenance_window_record_close").count() == 1


def test_a_record_window_ends_when_its_device_leaves_the_fleet(
    client_of, tenant_admin, still_fleet, cache_settings, all_devices
):
    """Deleted by another client, the device's maintenance record can no longer be saved to
    end its window: the full poll that finds it gone ends it."""
    tasks.poll_fleet.apply()
    device, other = [d for d in all_devices() if d.organization_id == ORG_A][:2]
    maintenance(client_of(tenant_admin), device.id, maintenance_notes="fan swap")
    maintenance(client_of(tenant_admin), other.id, maintenance_notes="still here")
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        api.delete_device(device.id)

    tasks.poll_fleet.apply(kwargs={"mode": "full"})

    gone = MaintenanceWindow.objects.get(record_device_id=device.id)
    assert gone.ended_at is not None and "left the fleet" in gone.ended_by
    assert MaintenanceWindow.objects.get(record_device_id=other.id).ended_at is None


def test_a_device_page_says_until_when_a_planned_window_covers_it(
    cached_fleet, device_of_org, fleet_devices, tenant_admin, client_of, settings
):
    settings.DISPLAY_TIME_ZONE = "UTC"
    device = device_of_org(ORG_A)
    other = next(d for d in fleet_devices if d.organization_id == ORG_A and d.id != device.id)
    ends = datetime(2099, 1, 2, 3, 4, tzinfo=UTC)
    window = window_of(device_ids=[device.id], ends_at=ends, reason="antenna realignment")
    client = client_of(tenant_admin)

    detail = client.get(f"/devices/{device.id}/").content.decode()
    record = client.get(f"/devices/{device.id}/maintenance/").content.decode()

    assert "In maintenance until 2099-01-02 03:04 (antenna realignment)" in detail
    assert f'href="/maintenance-windows/{window.pk}/"' in detail
    assert f"/maintenance-windows/new/?organization={ORG_A}&amp;device={device.id}" in record
    form = client.get(f"/maintenance-windows/new/?organization={ORG_A}&device={device.id}")
    assert form.context["form"]["device_ids"].value() == str(device.id)
    assert "In maintenance" not in client.get(f"/devices/{other.id}/").content.decode()


def test_the_same_window_sent_again_is_kept_once_and_shown(cached_fleet, tenant_admin, client_of):
    """Before, the form sent again (Back to its page and send, a double click without
    JavaScript) kept a second window alike: ending one early left the other muting."""
    client = client_of(tenant_admin)
    times = {"starts_at": later(1), "ends_at": later(3)}
    assert create(client, **times).status_code == 302
    window = MaintenanceWindow.objects.get()

    again = create(client, **times)

    assert (again.status_code, again["Location"]) == (302, f"/maintenance-windows/{window.pk}/")
    shown = client.get(again["Location"]).content.decode()
    assert f"Maintenance window {window.pk} keeps exactly this already" in shown
    assert "nothing new was kept" in shown
    assert MaintenanceWindow.objects.count() == 1
    assert AuditEntry.objects.filter(action="maintenance_window_create").count() == 1

    # Another reason makes a window of its own; so does the same once the first has ended.
    assert create(client, reason="a second crew", **times).status_code == 302
    client.post(f"/maintenance-windows/{window.pk}/end/")
    assert create(client, **times).status_code == 302
    assert MaintenanceWindow.objects.count() == 3


def test_a_window_ended_before_it_started_is_cancelled_and_says_so(
    cached_fleet, tenant_admin, client_of
):
    """Before, "End now" on an upcoming window showed it as "02:00 – 21:45", its end before
    its start, on its page and in the past list."""
    now = datetime.now(UTC)
    window = window_of(starts_at=now + timedelta(hours=4), ends_at=now + timedelta(hours=6))
    client = client_of(tenant_admin)
    page = client.get(f"/maintenance-windows/{window.pk}/").content.decode()
    assert ">Cancel</button>" in page and "End now" not in page

    client.post(f"/maintenance-windows/{window.pk}/end/")

    shown = client.get(f"/maintenance-windows/{window.pk}/").content.decode()
    assert f"Maintenance window {window.pk} cancelled: it will not start." in shown
    planned = window.starts_at.strftime("%Y-%m-%d %H:%M")
    assert "Cancelled before it started (planned from <time" in shown and planned in shown
    assert ">cancelled</span>" in shown  # its state, not "ended"
    past = client.get("/maintenance-windows/").content.decode()
    assert "Cancelled before it started" in past
    row = past[past.index(f'data-window="{window.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Cancelled before it started" in row
    assert f"{now:%Y-%m-%d %H:%M}</time>" not in row  # no end (the cancelling) before the start


def _row(page: str, window_id: int) -> str:
    row = page[page.index(f'data-window="{window_id}"') :]
    return row[: row.index("</tr>")]


def test_a_one_off_window_whose_start_is_past_is_said_to_count_only_from_now(
    cached_fleet, tenant_admin, client_of
):
    """Before, a window made at 00:59 starting 00:30 was kept without a word, and hid the
    half hour before it existed from the reports."""
    client = client_of(tenant_admin)
    typed = later(-0.5)
    assert "A start (or “from”) in the past counts only from when the window is kept" in (
        client.get("/maintenance-windows/new/").content.decode()
    )

    response = create(client, starts_at=typed)

    window = MaintenanceWindow.objects.get()
    shown = client.get(response["Location"]).content.decode()
    assert f"Its start ({typed.replace('T', ' ')} UTC) was already past: it counts only" in shown
    assert f"only from now ({window.created_at:%Y-%m-%d %H:%M} UTC)" in shown
    assert "the reports keep what was observed before" in shown
    assert f"<dt>Counts from</dt><dd>{window.created_at:%Y-%m-%d %H:%M}" in shown


def test_an_empty_start_is_now_in_whatever_time_zone_is_chosen(
    cached_fleet, tenant_admin, client_of
):
    """The start was filled with now's wall time in UTC: choosing Bogota afterwards made the
    window start five hours late, and a start left as filled was "already past"."""
    client = client_of(tenant_admin)
    form = client.get("/maintenance-windows/new/").content.decode()
    start_input = re.search(r'<input[^>]*name="starts_at"[^>]*>', form)[0]
    bogota_end = datetime.now(ZoneInfo("America/Bogota")) + timedelta(hours=2)

    response = create(
        client, time_zone="America/Bogota", starts_at="",
        ends_at=bogota_end.strftime("%Y-%m-%dT%H:%M"),
    )  # fmt: skip

    assert "value=" not in start_input and "Empty: now." in form
    window = MaintenanceWindow.objects.get()
    assert window.is_active(datetime.now(UTC))
    shown = client.get(response["Location"]).content.decode()
    assert "in force" in shown and "already past" not in shown and "Counts from" not in shown


def test_a_weekly_window_none_of_whose_occurrences_began_is_cancelled_not_ended(
    cached_fleet, tenant_admin, client_of
):
    """Before, a weekly window "from" today 00:00 whose first occurrence is tomorrow offered
    "End now", and afterwards read "<today> 00:00 – <today> 06:39" in the past list as if
    it had been in force."""
    zone = ZoneInfo("Asia/Kolkata")
    today = datetime.now(zone).date()
    tomorrow = today + timedelta(days=1)
    days = [tomorrow.weekday(), (tomorrow + timedelta(days=2)).weekday()]
    client = client_of(tenant_admin)
    response = create(
        client, recurrence="weekly", weekdays=[str(d) for d in days], local_start="09:30",
        duration_minutes="30", time_zone="Asia/Kolkata", starts_at=f"{today}T00:00",
        ends_at="", reason="OLT reboots",
    )  # fmt: skip
    window = MaintenanceWindow.objects.get()
    page = client.get(response["Location"]).content.decode()
    listed = client.get("/maintenance-windows/").content.decode()
    assert ">Cancel</button>" in page and "End now" not in page
    assert ">Cancel</button>" in _row(listed, window.pk)

    ended = client.post(f"/maintenance-windows/{window.pk}/end/", follow=True).content.decode()

    assert f"Maintenance window {window.pk} cancelled: it will not start." in ended
    planned = f"{tomorrow:%Y-%m-%d} 09:30</time>"
    assert "Cancelled before it started (planned from <time" in ended and planned in ended
    assert ">cancelled</span>" in ended
    past = client.get("/maintenance-windows/").context["past"]
    assert [r["window"].pk for r in past] == [window.pk]
    row = _row(client.get("/maintenance-windows/").content.decode(), window.pk)
    assert "Cancelled before it started" in row and planned in row
    assert f"{today:%Y-%m-%d} 00:00" not in row


def test_a_daily_window_is_cancelled_before_its_first_occurrence_and_ended_once_it_ran(
    cached_fleet, tenant_admin, client_of
):
    """Daily windows "from" yesterday: one whose first occurrence since it was kept is in
    two hours is cancelled; one in force now is ended."""
    now = datetime.now(UTC)
    yesterday = now - timedelta(days=1)
    client = client_of(tenant_admin)
    daily = {"recurrence": "daily", "starts_at": f"{yesterday:%Y-%m-%d}T00:00", "ends_at": "",
             "duration_minutes": "30"}  # fmt: skip
    create(client, local_start=f"{now + timedelta(hours=2):%H:%M}", reason="later", **daily)
    create(client, local_start=f"{now - timedelta(minutes=5):%H:%M}", reason="now", **daily)
    later_one = MaintenanceWindow.objects.get(reason="later")
    running = MaintenanceWindow.objects.get(reason="now")
    listed = client.get("/maintenance-windows/").content.decode()
    assert ">Cancel</button>" in _row(listed, later_one.pk)
    assert ">End now</button>" in _row(listed, running.pk)

    for window in (later_one, running):
        client.post(f"/maintenance-windows/{window.pk}/end/")

    past = client.get("/maintenance-windows/").content.decode()
    assert "Cancelled before it started" in _row(past, later_one.pk)
    assert "Cancelled before it started" not in _row(past, running.pk)


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        (
            {"recurrence": "weekly", "weekdays": ["0", "1"], "duration_minutes": "10080"},
            "Monday and Tuesday are 24 hours apart: a window of 168 h would overlap the next "
            "one. At most 24 h (1440 minutes).",
        ),
        (
            {"recurrence": "weekly", "weekdays": ["0", "3", "6"], "duration_minutes": "1500"},
            "Sunday and Monday are 24 hours apart: a window of 25 h would overlap the next "
            "one. At most 24 h (1440 minutes).",
        ),
        (
            {"recurrence": "weekly", "weekdays": ["2"], "duration_minutes": "10081"},
            "Wednesday and the next Wednesday are 168 hours apart: a window of 168 h 1 min "
            "would overlap the next one. At most 168 h (10080 minutes).",
        ),
        (
            {"recurrence": "daily", "duration_minutes": "1441"},
            "Occurrences every day are 24 hours apart: a window of 24 h 1 min would overlap "
            "the next one. At most 24 h (1440 minutes).",
        ),
    ],
)
def test_occurrences_that_would_overlap_are_refused_in_words_keeping_what_was_typed(
    cached_fleet, tenant_admin, client_of, fields, said
):
    """Before, weekly Monday and Tuesday for 10080 minutes was kept as "Every Monday and
    Tuesday at 00:00 UTC for 168 h": each occurrence ran over the next ones."""
    response = create(
        client_of(tenant_admin), local_start="00:00", starts_at="2030-01-01T00:00",
        ends_at="", reason="ring works", **fields,
    )  # fmt: skip

    html = response.content.decode()
    assert response.status_code == 400
    assert said in html
    assert f'value="{fields["duration_minutes"]}"' in html and 'value="ring works"' in html
    for day in fields.get("weekdays", []):
        assert f'value="{day}" id="id_weekdays_{day}" checked' in html
    assert not MaintenanceWindow.objects.exists()


def test_the_longest_duration_between_two_weekdays_is_kept(cached_fleet, tenant_admin, client_of):
    response = create(
        client_of(tenant_admin), recurrence="weekly", weekdays=["0", "1"], local_start="00:00",
        duration_minutes="1440", starts_at="2030-01-01T00:00", ends_at="",
    )  # fmt: skip

    assert response.status_code == 302
    assert MaintenanceWindow.objects.get().duration_minutes == 1440


def test_end_now_and_cancel_ask_first_naming_the_window(cached_fleet, tenant_admin, client_of):
    """One click ended a daily window for good, every later occurrence too."""
    running = window_of(reason="core switch swap")
    upcoming = window_of(
        reason="fibre splice", starts_at=datetime.now(UTC) + timedelta(hours=3),
        ends_at=datetime.now(UTC) + timedelta(hours=4),
    )  # fmt: skip
    client = client_of(tenant_admin)
    listed = client.get("/maintenance-windows/").content.decode()
    page = client.get(f"/maintenance-windows/{running.pk}/").content.decode()

    end = f'data-confirm="End maintenance window {running.pk} (core switch swap) now, for good?'
    cancel = f'data-confirm="Cancel maintenance window {upcoming.pk} (fibre splice)? It will not'
    assert end in listed and end in page and cancel in listed
