"""Maintenance records and scheduled (headless) operations through the Django client."""

import html as html_lib
import re

import pytest

from accounts.models import AuditEntry, Role
from controlapi import ControlAPI
from operations.models import HeadlessRecord, MaintenanceSnapshot
from tests.devices.forms import form_values
from tests.fixtures.operations import schedule
from tests.fixtures.users import make_user

pytestmark = pytest.mark.django_db


def maintenance(client, device_id, **fields):
    data = {
        "operational_status": "maintenance",
        "assigned_user": "ana@example.com",
        "maintenance_notes": "fan swap",
        "configuration": "alert_level=high\nmonitoring=true",
        "next_maintenance": "2030-04-15T09:00",
        "time_zone": "America/Guayaquil",
        **fields,
    }
    return client.post(f"/devices/{device_id}/maintenance/", data)


def test_a_maintenance_change_is_sent_kept_and_shown_as_history(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    assert maintenance(client, device.id).status_code == 302
    snapshot = MaintenanceSnapshot.objects.get(device_id=device.id)
    assert snapshot.answer["operational_status"] == "maintenance"
    assert snapshot.answer["configuration"]["alert_level"] == "high"
    assert snapshot.answer["configuration"]["monitoring"] is True
    html = client.get(f"/devices/{device.id}/maintenance/").content.decode()
    assert "Status changed from active to maintenance" in html
    put = next(e for e in cached_fleet.request_log()["entries"] if e["method"] == "PUT")
    assert put["body"]["next_maintenance"] == "2030-04-15T09:00:00-05:00"  # zone kept
    assert AuditEntry.objects.get(action="maintenance").result == "ok"


def test_a_decommissioned_device_offers_no_way_back(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    maintenance(client, device.id, operational_status="decommissioned")
    response = maintenance(client, device.id, operational_status="active")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_maintenance_is_404_for_an_outsider(cached_fleet, device_of_org, outsider, client_of):
    device = device_of_org(5)
    assert client_of(outsider).get(f"/devices/{device.id}/maintenance/").status_code == 404


def test_an_operator_may_not_change_the_maintenance_record(
    cached_fleet, device_of_org, operator, client_of
):
    response = maintenance(client_of(operator), device_of_org(5).id)
    assert response.status_code == 302
    assert not MaintenanceSnapshot.objects.exists()


def test_scheduling_keeps_the_transaction_id_with_the_organization(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    assert schedule(client_of(tenant_admin), device.serial_number).status_code == 302
    record = HeadlessRecord.objects.get()
    assert record.txn_id.startswith("txn_")
    assert record.organization_id == 5
    assert record.scheduled_time.isoformat() == "2031-01-16T01:00:00+00:00"


def test_an_unknown_serial_is_said_in_words(cached_fleet, tenant_admin, client_of):
    response = schedule(client_of(tenant_admin), "NO-SUCH-SERIAL")
    assert response.status_code == 400
    assert "No device with this serial number" in response.content.decode()


def test_another_organizations_serial_is_answered_on_the_form_as_an_unknown_one(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    client = client_of(tenant_admin)
    unknown = schedule(client, "NO-SUCH-SERIAL")
    serial = device_of_org(11).serial_number
    response = schedule(client, serial)
    assert response.status_code == unknown.status_code == 400
    assert response.context["form"].errors == {
        "device_serial": ["No device with this serial number in the inventory."]
    }
    assert response.context["form"].errors == unknown.context["form"].errors
    assert f'value="{serial}"' in response.content.decode()  # the form is kept
    assert not HeadlessRecord.objects.exists()


def test_a_viewer_of_the_devices_organization_is_told_their_role_does_not_allow_it(
    cached_fleet, device_of_org, client_of, organizations
):
    # Admin in 5, viewer in 7: the device of 7 is known to them, so it is not denied.
    user = make_user("mixed", memberships=[(5, Role.ADMIN), (7, Role.VIEWER)])
    response = schedule(client_of(user), device_of_org(7).serial_number)
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "device_serial": ["Your role in this device's organization does not allow scheduling "
                          "operations."]
    }  # fmt: skip
    assert not HeadlessRecord.objects.exists()


def test_without_the_fleet_cache_a_tenant_cannot_schedule_and_noc_staff_can(
    cached_fleet, device_of_org, tenant_admin, noc, client_of, settings
):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there: a real failure
    serial = device_of_org(11).serial_number
    response = schedule(client_of(tenant_admin), serial)
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "device_serial": ["The fleet cache cannot be read, so the serial's organization cannot "
                          "be checked: try again in a minute."]
    }  # fmt: skip
    assert not HeadlessRecord.objects.exists()
    assert schedule(client_of(noc), serial).status_code == 302
    assert HeadlessRecord.objects.get().organization_id is None


def test_a_time_in_the_past_is_refused_with_its_time_zone(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    response = schedule(client_of(tenant_admin), device_of_org(5).serial_number,
                        scheduled_time="2020-01-16T02:00")  # fmt: skip
    assert response.status_code == 400
    error = response.context["form"].errors["scheduled_time"][0]
    assert error.startswith("2020-01-16 02:00 (Europe/Madrid) is in the past: it is now ")
    assert error.endswith(" in Europe/Madrid. Choose a later time.")
    assert not HeadlessRecord.objects.exists()
    posts = [e for e in cached_fleet.request_log()["entries"] if e["method"] == "POST"]
    assert posts == []


def test_a_time_the_clocks_skip_is_refused_and_what_was_typed_is_kept(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    # Spain's clocks go from 02:00 to 03:00 on 2030-03-31: 02:30 never happens there.
    error = refused_schedule(cached_fleet, client_of(tenant_admin),
                             device_of_org(5).serial_number, "2030-03-31T02:30")  # fmt: skip

    assert error.startswith("2030-03-31 02:30 does not exist in Europe/Madrid")


def refused_schedule(cached_fleet, client, serial, typed):
    """The scheduling form's error for the time `typed`, checked refused: the form keeps
    it and nothing reaches the control API."""
    response = schedule(client, serial, scheduled_time=typed)
    assert response.status_code == 400
    assert f'value="{typed}"' in response.content.decode()
    assert not HeadlessRecord.objects.exists()
    posts = [e for e in cached_fleet.request_log()["entries"] if e["method"] == "POST"]
    assert posts == []
    return response.context["form"].errors["scheduled_time"][0]


def test_a_password_in_a_parameters_url_never_reaches_the_audit_page_or_export(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    client = client_of(tenant_admin)
    url = "https://fw:hunter2@files.example.net/cpe.bin?build=7&access_token=tok-42"
    response = schedule(client, device_of_org(5).serial_number,
                        parameters=f"firmware_url={url}")  # fmt: skip
    assert response.status_code == 302

    page = client.get("/audit/").content.decode()
    export = b"".join(client.get("/audit/export.csv").streaming_content).decode()

    for shown in (page, export):
        assert "files.example.net/cpe.bin" in shown
        assert "hunter2" not in shown and "tok-42" not in shown
    assert "hunter2" not in str(AuditEntry.objects.get(action="headless_create").parameters)


def test_an_answer_that_cannot_be_read_warns_against_scheduling_twice(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    cached_fleet.set_faults(malformed_rate=1.0, malformed="non_json")
    try:
        response = schedule(client_of(tenant_admin), device_of_org(5).serial_number)
    finally:
        cached_fleet.set_faults(malformed_rate=0.0)

    assert response.status_code == 400
    said = " ".join(response.context["form"].non_field_errors())
    assert "not listed here" in said and "may schedule it twice" in said
    assert AuditEntry.objects.get(action="headless_create").result == "unknown"


def test_the_form_says_in_which_time_zone_the_time_is_read(tenant_admin, client_of, settings):
    settings.DISPLAY_TIME_ZONE = "America/Guayaquil"
    form = client_of(tenant_admin).get("/operations/").context["form"]
    assert form["scheduled_time"].help_text == (
        "Read in the time zone chosen below (by default America/Guayaquil, the dashboard's "
        "display time zone); it cannot be in the past."
    )


def test_a_tenant_sees_only_operations_of_their_organizations(
    cached_fleet,
    device_of_org,
    noc,
    tenant_admin,
    client,
):
    client.force_login(noc)
    schedule(client, device_of_org(11).serial_number)
    schedule(client, device_of_org(5).serial_number)
    client.force_login(tenant_admin)
    html = client.get("/operations/").content.decode()
    assert device_of_org(5).serial_number in html
    assert device_of_org(11).serial_number not in html


def test_status_refresh_reads_the_transaction(cached_fleet, device_of_org, tenant_admin, client_of):
    client = client_of(tenant_admin)
    schedule(client, device_of_org(5).serial_number)
    record = HeadlessRecord.objects.get()
    client.post(f"/operations/{record.pk}/refresh/")
    record.refresh_from_db()
    assert record.status == "scheduled"
    assert record.status_checked_at is not None


def refresh_form(html: str) -> tuple[str, dict]:
    """The first "Refresh status" form of a page: its action and hidden fields."""
    form = re.search(r'<form method="post" action="(/operations/\d+/refresh/)">(.*?)</form>', html)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form[2]))
    fields.pop("csrfmiddlewaretoken", None)
    return form[1], {name: html_lib.unescape(value) for name, value in fields.items()}


def test_status_refresh_returns_to_the_list_as_it_was(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    client = client_of(tenant_admin)
    serial = device_of_org(5).serial_number
    schedule(client, serial)
    action, fields = refresh_form(client.get("/operations/", {"serial": serial}).content.decode())

    response = client.post(action, fields)

    assert response.status_code == 302
    assert response["Location"] == f"/operations/?serial={serial}"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/operations/", "operations:scheduled", ""]
)
def test_status_refresh_never_leaves_the_site(
    cached_fleet, device_of_org, tenant_admin, client_of, target
):
    client = client_of(tenant_admin)
    schedule(client, device_of_org(5).serial_number)
    record = HeadlessRecord.objects.get()

    response = client.post(f"/operations/{record.pk}/refresh/", {"next": target})

    assert response.status_code == 302 and response["Location"] == "/operations/"


def maintenance_puts(sim_control):
    return [e["body"] for e in sim_control.request_log()["entries"] if e["method"] == "PUT"]


def test_emptied_stored_values_are_cleared_and_unknown_ones_left_alone(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    empty = {"assigned_user": "", "maintenance_notes": "", "configuration": "",
             "next_maintenance": ""}  # fmt: skip
    maintenance(client, device.id, **empty)  # nothing kept yet: nothing to clear
    maintenance(client, device.id)
    maintenance(client, device.id, **empty)  # the user emptied every stored value
    first, second, third = maintenance_puts(cached_fleet)
    assert first == {"operational_status": "maintenance"}
    assert second["next_maintenance"] == "2030-04-15T09:00:00-05:00"
    assert third == {"operational_status": "maintenance", "assigned_user": None,
                     "maintenance_notes": None, "configuration": {},
                     "next_maintenance": None}  # fmt: skip
    answer = MaintenanceSnapshot.objects.get(device_id=device.id).answer
    assert answer["next_maintenance"] is None and answer["assigned_user"] is None


def headless_posts(sim_control):
    return [
        e
        for e in sim_control.request_log(last=1000)["entries"]
        if e["method"] == "POST" and "headless_operation" in e["path"]
    ]


CANNOT_CHECK = (
    "The fleet cache cannot be read, so the serial's organization cannot be checked: "
    "try again in a minute."
)


def test_without_the_fleet_cache_nothing_is_sent_for_a_tenant(
    cached_fleet, device_of_org, tenant_admin, client_of, settings
):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there: a real failure
    for serial in (device_of_org(11).serial_number, device_of_org(5).serial_number):
        response = schedule(client_of(tenant_admin), serial)
        assert response.status_code == 400
        assert response.context["form"].errors == {"device_serial": [CANNOT_CHECK]}
        assert "cannot be checked: try again in a minute." in response.content.decode()
    assert headless_posts(cached_fleet) == []
    assert not HeadlessRecord.objects.exists()


def test_before_the_first_poll_a_tenant_cannot_schedule_and_nothing_is_sent(
    upstream, device_of_org, tenant_admin, noc, client_of
):
    # Redis answers, but holds no fleet yet (just started, or emptied): no owner is known.
    serial = device_of_org(11).serial_number
    response = schedule(client_of(tenant_admin), serial)
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "device_serial": ["The fleet cache is still being filled, so the serial's organization "
                          "cannot be checked yet: try again in a minute."]
    }  # fmt: skip
    assert headless_posts(upstream) == []
    assert schedule(client_of(noc), serial).status_code == 302  # the organization is not needed
    assert len(headless_posts(upstream)) == 1


def test_another_organizations_serial_in_other_letter_case_is_refused_and_not_sent(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    serial = device_of_org(11).serial_number
    for variant in (serial.lower(), serial.swapcase()):
        assert variant != serial
        response = schedule(client_of(tenant_admin), variant)
        assert response.status_code == 400
        assert response.context["form"].errors == {
            "device_serial": ["No device with this serial number in the inventory."]
        }
    assert headless_posts(cached_fleet) == []
    assert not HeadlessRecord.objects.exists()


def test_a_tenant_is_sent_only_a_serial_that_is_exactly_one_of_their_devices(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    own = device_of_org(5).serial_number
    response = schedule(client_of(tenant_admin), own.lower())
    assert response.context["form"].errors == {
        "device_serial": ["No device with this serial number in the inventory."]
    }
    assert headless_posts(cached_fleet) == []
    assert schedule(client_of(tenant_admin), own).status_code == 302
    assert [e["body"]["device_serial"] for e in headless_posts(cached_fleet)] == [own]


def test_saving_the_maintenance_form_keeps_stored_values_it_did_not_touch(
    cached_fleet, device_of_org, tenant_admin, client_of, settings
):
    """Values another tool stored (a nested setting, a decimal, text that looks like a number)
    and notes over several lines come back unchanged when only the status changes."""
    device = device_of_org(5)
    stored = {"limits": {"max": 3}, "ratio": 1.5, "pin": "007", "enabled": "yes"}
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        api.update_device_operation(
            device.id, {"configuration": stored, "maintenance_notes": "fan swap\nthen reboot"}
        )
    client = client_of(tenant_admin)
    maintenance(client, device.id, maintenance_notes="", configuration="")  # keeps the answer
    opened = form_values(client.get(f"/devices/{device.id}/maintenance/").content.decode())
    cached_fleet.clear_log()

    response = client.post(
        f"/devices/{device.id}/maintenance/", {**opened, "operational_status": "active"}
    )

    assert response.status_code == 302
    answer = MaintenanceSnapshot.objects.get(device_id=device.id).answer
    assert {k: answer["configuration"][k] for k in stored} == stored
    assert answer["maintenance_notes"] == "fan swap\nthen reboot"


@pytest.mark.parametrize("display_zone", ["UTC", "Europe/Madrid"])
def test_a_time_the_clocks_show_twice_is_refused_naming_both(
    cached_fleet, device_of_org, tenant_admin, client_of, settings, display_zone
):
    """Before, 02:30 became the first of the two without a word; and where the pages show
    Madrid's time too, Django refused it in words of its own that did not say why."""
    settings.DISPLAY_TIME_ZONE = display_zone
    # Spain's clocks go back from 03:00 to 02:00 on 2030-10-27: 02:30 happens twice there.
    error = refused_schedule(cached_fleet, client_of(tenant_admin),
                             device_of_org(5).serial_number, "2030-10-27T02:30")  # fmt: skip

    assert error.startswith("2030-10-27 02:30 happens twice in Europe/Madrid")
    assert error.endswith("00:30 UTC is the first, 01:30 UTC the second.")


def test_an_untouched_maintenance_date_the_clocks_show_twice_is_kept(
    cached_fleet, device_of_org, tenant_admin, client_of, settings
):
    """A stored date at the second 02:30 of the night the clocks go back shows as 02:30;
    saving the form untouched used to move it an hour earlier, to the first 02:30."""
    settings.DISPLAY_TIME_ZONE = "Europe/Madrid"
    device = device_of_org(5)
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        api.update_device_operation(device.id, {"next_maintenance": "2030-10-27T01:30:00Z"})
    client = client_of(tenant_admin)
    maintenance(client, device.id, next_maintenance="")  # keeps the answer
    opened = form_values(client.get(f"/devices/{device.id}/maintenance/").content.decode())
    assert (opened["next_maintenance"], opened["time_zone"]) == ("2030-10-27T02:30",
                                                                 "Europe/Madrid")  # fmt: skip

    response = client.post(
        f"/devices/{device.id}/maintenance/", {**opened, "operational_status": "active"}
    )

    assert response.status_code == 302
    answer = MaintenanceSnapshot.objects.get(device_id=device.id).answer
    assert answer["next_maintenance"].replace("+00:00", "Z") == "2030-10-27T01:30:00Z"


def test_untouched_texts_stored_elsewhere_are_sent_back_as_they_are(
    cached_fleet, device_of_org, tenant_admin, client_of, settings
):
    """An assigned user longer than the form takes and notes with spaces at their ends, as
    another tool stored them: changing only the status used to be refused for the first
    and to trim the second."""
    device = device_of_org(5)
    long_user = "noc-team-" + "x" * 300
    notes = "  fan swap \nthen reboot  "
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        api.update_device_operation(
            device.id, {"assigned_user": long_user, "maintenance_notes": notes}
        )
    client = client_of(tenant_admin)
    maintenance(client, device.id, assigned_user="", maintenance_notes="")  # keeps the answer
    opened = form_values(client.get(f"/devices/{device.id}/maintenance/").content.decode())

    response = client.post(
        f"/devices/{device.id}/maintenance/", {**opened, "operational_status": "active"}
    )

    assert response.status_code == 302
    answer = MaintenanceSnapshot.objects.get(device_id=device.id).answer
    assert (answer["assigned_user"], answer["maintenance_notes"]) == (long_user, notes)
    typed = client.post(f"/devices/{device.id}/maintenance/",
                        {**opened, "assigned_user": "y" * 256})  # fmt: skip
    assert typed.status_code == 400
    assert "At most 255 characters (this has 256)." in typed.content.decode()


def test_the_next_maintenance_comes_back_in_the_time_zone_chosen_when_saving(
    cached_fleet, device_of_org, tenant_admin, client_of, settings
):
    """Saved as 10:00 in Bogota, it came back as 15:00 UTC (the display zone): the same
    instant, but not in the zone the person chose."""
    settings.DISPLAY_TIME_ZONE = "UTC"
    device = device_of_org(5)
    client = client_of(tenant_admin)
    saved = maintenance(client, device.id, next_maintenance="2027-01-01T10:00",
                        time_zone="America/Bogota")  # fmt: skip
    assert saved.status_code == 302

    opened = form_values(client.get(f"/devices/{device.id}/maintenance/").content.decode())

    assert (opened["next_maintenance"], opened["time_zone"]) == ("2027-01-01T10:00",
                                                                 "America/Bogota")  # fmt: skip
    assert maintenance_puts(cached_fleet)[-1]["next_maintenance"] == "2027-01-01T10:00:00-05:00"
    # Saved again untouched, it is the same instant, and still shown in Bogota's time.
    assert client.post(f"/devices/{device.id}/maintenance/", opened).status_code == 302
    answer = MaintenanceSnapshot.objects.get(device_id=device.id).answer
    assert answer["next_maintenance"] == "2027-01-01T10:00:00-05:00"
    again = form_values(client.get(f"/devices/{device.id}/maintenance/").content.decode())
    assert (again["next_maintenance"], again["time_zone"]) == ("2027-01-01T10:00",
                                                               "America/Bogota")  # fmt: skip


def history_lines(html: str) -> list[str]:
    """The operational history's entries as the page reads, without markup."""
    section = html.split('id="history-h"', 1)[1]
    items = re.findall(r"<li>(.*?)</li>", section, re.S)
    return [" ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", i)).split()) for i in items]


def test_the_operational_history_reads_in_words(
    cached_fleet, device_of_org, tenant_admin, client_of, settings
):
    """It showed the upstream's raw record: "2026-12-06T01:04:33+00:00 — status_change:
    active → maintenance by api"."""
    settings.DISPLAY_TIME_ZONE = "UTC"
    device = device_of_org(5)
    client = client_of(tenant_admin)
    maintenance(client, device.id)
    maintenance(client, device.id, maintenance_notes="fan swapped")

    page = client.get(f"/devices/{device.id}/maintenance/").content.decode()
    newest, oldest = history_lines(page)

    api = "through the control API (by this dashboard or another client)"
    when = r"\d{4}-\d\d-\d\d \d\d:\d\d"  # as the page's other times, the zone in its footer
    assert re.fullmatch(rf"{when} — Status changed from active to maintenance, {re.escape(api)}\.",
                        oldest), oldest  # fmt: skip
    assert re.fullmatch(rf"{when} — Record updated, status stayed maintenance, {re.escape(api)}\.",
                        newest), newest  # fmt: skip


def test_a_next_maintenance_in_the_past_is_refused_and_what_was_typed_is_kept(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    client = client_of(tenant_admin)

    response = maintenance(client, device.id, next_maintenance="2020-03-01T10:00")

    assert response.status_code == 400
    error = response.context["form"].errors["next_maintenance"][0]
    assert error.startswith("2020-03-01 10:00 (America/Guayaquil) is in the past: it is now ")
    assert error.endswith("Choose a later time, or leave it empty.")
    typed = form_values(response.content.decode())
    assert typed["next_maintenance"] == "2020-03-01T10:00"
    assert (typed["assigned_user"], typed["maintenance_notes"]) == ("ana@example.com", "fan swap")
    assert maintenance_puts(cached_fleet) == []


def test_a_stored_next_maintenance_that_has_passed_is_kept_and_said_to_have_passed(
    cached_fleet, device_of_org, tenant_admin, client_of, settings
):
    """A date set when it was still ahead does not block saving other changes."""
    settings.DISPLAY_TIME_ZONE = "UTC"
    device = device_of_org(5)
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        api.update_device_operation(device.id, {"next_maintenance": "2021-01-01T00:00:00Z"})
    client = client_of(tenant_admin)
    maintenance(client, device.id, next_maintenance="")  # keeps the answer
    page = client.get(f"/devices/{device.id}/maintenance/").content.decode()
    opened = form_values(page)

    response = client.post(
        f"/devices/{device.id}/maintenance/", {**opened, "operational_status": "active"}
    )

    assert "This next maintenance (2021-01-01 00:00 UTC) has passed" in html_lib.unescape(page)
    assert response.status_code == 302
    answer = MaintenanceSnapshot.objects.get(device_id=device.id).answer
    assert answer["next_maintenance"].replace("+00:00", "Z") == "2021-01-01T00:00:00Z"
