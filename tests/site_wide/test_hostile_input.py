"""Hostile numbers and dates in every place people type them: a sentence, never a 500.

Unicode digits ("①", "²", "¹²") pass `str.isdigit()` but not `int()`; numbers past 64 bits
do not fit the database; dates at the calendar's ends overflow once a time zone or a day
is added. Each is refused in words, and nothing refused is sent upstream.
"""

import html
import io

import pytest

from common import integers
from operations.models import HeadlessRecord, MaintenanceSnapshot
from tests.fixtures.operations import schedule as schedule_by_serial

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = "is out of range: choose a date and time between the years 2000 and 2099."
HUGE = "99999999999999999999"  # past 64 bits
COORDINATE_COLUMNS = "name,serial_number,type,organization_id,latitude"

QUERIES = [
    ("/devices/?page=①", "Page “①” is not a page number; showing the first page."),
    ("/devices/?per_page=²", "Page size “²” is not offered"),
    ("/devices/?type=¹²", "Type “¹²” is not a device type id (a whole number)."),
    ("/devices/?organization=①", "Organization “①” is not an organization id (a whole number)."),
    (f"/devices/?organization={HUGE}", f"Organization “{HUGE}” is not an organization id"),
    ("/devices/export.csv?page=①", "Page “①” is not a page number"),
    ("/devices/export.csv?per_page=²", "Page size “²” is not offered"),
    ("/devices/export.csv?type=¹²", "Type “¹²” is not a device type id"),
    ("/devices/export.csv?organization=①", "Organization “①” is not an organization id"),
    (
        "/devices/?last_status_change_from=0001-01-01T00:00:00%2B23:59",
        f"“0001-01-01T00:00:00+23:59” {OUT_OF_RANGE}",
    ),
    (
        "/devices/?last_status_change_from=9999-12-31T23:59:59-23:59",
        f"“9999-12-31T23:59:59-23:59” {OUT_OF_RANGE}",
    ),
    (
        "/devices/export.csv?last_status_change_from=9999-12-31T23:59:59-23:59",
        f"“9999-12-31T23:59:59-23:59” {OUT_OF_RANGE}",
    ),
    ("/audit/?until=9999-12-31", "9999-12-31 is out of range: choose a date between the years"),
    ("/audit/?since=0001-01-01", "0001-01-01 is out of range: choose a date between the years"),
    ("/audit/export.csv?until=9999-12-31", "9999-12-31 is out of range"),
    ("/audit/?organization=①", "Organization “①” is not an organization id (a whole number)."),
]


def writes(sim) -> list[dict]:
    return [e for e in sim.request_log(last=1000)["entries"] if e["method"] != "GET"]


def text_of(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize(("url", "said"), QUERIES)
def test_a_hostile_query_value_is_named_in_words(cached_fleet, noc, client_of, url, said):
    response = client_of(noc).get(url)

    assert response.status_code in (200, 400)
    assert said in text_of(response)


def upload(client, line, columns="name,serial_number,type,organization_id,update_frequency"):
    data = io.BytesIO(f"{columns}\n{line}\n".encode())
    data.name = "devices.csv"
    return client.post("/devices/import/", {"file": data}, follow=True)


def maintenance(client, device, **fields):
    data = {"operational_status": "maintenance", "time_zone": "UTC", **fields}
    return client.post(f"/devices/{device.id}/maintenance/", data)


def schedule(client, device, **fields):
    return schedule_by_serial(client, device.serial_number, **{"time_zone": "UTC", **fields})


def action(client, device, name, **fields):
    return client.post(f"/devices/{device.id}/actions/{name}/", {"key": "k" * 32, **fields})


FORMS = {
    "firmware image ①": (
        lambda c, d: action(c, d, "firmware", firmware_image="①"),
        "Type the firmware image id: a whole number, e.g. 47.",
    ),
    "firmware image past 64 bits": (
        lambda c, d: action(c, d, "firmware", firmware_image=HUGE),
        "That firmware image id is too large: image ids go up to 2,147,483,647.",
    ),
    "bulk devices ²": (
        lambda c, d: c.post("/devices/bulk/", {"action": "reboot", "devices": f"{d.id},²"}),
        "“²” is not a device id (a whole number): select the devices again.",
    ),
    "bulk start devices ²": (
        lambda c, d: c.post("/devices/bulk/start/", {"action": "reboot", "devices": "²"}),
        "“²” is not a device id (a whole number)",
    ),
    "bulk filter page ①": (
        lambda c, d: c.post(
            "/devices/bulk/", {"action": "reboot", "all_matching": "1", "filter": "page=①"}
        ),
        "Page “①” is not a page number",
    ),
    "maintenance configuration past 64 bits": (
        lambda c, d: maintenance(c, d, configuration=f"key={HUGE}"),
        f"Line 1: key must be at most 9223372036854775807, not '{HUGE}'.",
    ),
    "maintenance at 9999-12-31T23:59 Etc/GMT+12": (
        lambda c, d: maintenance(c, d, next_maintenance="9999-12-31T23:59", time_zone="Etc/GMT+12"),
        f"9999-12-31 23:59 (Etc/GMT+12) {OUT_OF_RANGE}",
    ),
    "maintenance at 0001-01-01T00:00 Etc/GMT-14": (
        lambda c, d: maintenance(c, d, next_maintenance="0001-01-01T00:00", time_zone="Etc/GMT-14"),
        f"0001-01-01 00:00 (Etc/GMT-14) {OUT_OF_RANGE}",
    ),
    "operation parameter past 64 bits": (
        lambda c, d: schedule(c, d, parameters=f"key={HUGE}"),
        f"Line 1: key must be at most 9223372036854775807, not '{HUGE}'.",
    ),
    "operation at 9999-12-31T23:59 Etc/GMT+12": (
        lambda c, d: schedule(c, d, scheduled_time="9999-12-31T23:59", time_zone="Etc/GMT+12"),
        f"9999-12-31 23:59 (Etc/GMT+12) {OUT_OF_RANGE}",
    ),
    "operation at 2099-12-31T23:59 Etc/GMT+12 (2100 in UTC)": (
        lambda c, d: schedule(c, d, scheduled_time="2099-12-31T23:59", time_zone="Etc/GMT+12"),
        f"2099-12-31 23:59 (Etc/GMT+12) {OUT_OF_RANGE}",
    ),
    "import type ²": (
        lambda c, d: upload(c, "cpe-x,IMP-X1,²,5,"),
        "type: must be a whole number of at least 1, not '²'.",
    ),
    "import type past 64 bits": (
        lambda c, d: upload(c, f"cpe-x,IMP-X2,{HUGE},5,"),
        f"type: must be at most 2147483647, not '{HUGE}'.",
    ),
    "import organization past 64 bits": (
        lambda c, d: upload(c, f"cpe-x,IMP-X3,12,{HUGE},"),
        f"organization_id: must be at most 2147483647, not '{HUGE}'.",
    ),
    "import update frequency past 64 bits": (
        lambda c, d: upload(c, f"cpe-x,IMP-X4,12,5,{HUGE}"),
        f"update_frequency: must be at most 2147483647, not '{HUGE}'.",
    ),
    "import latitude of ten million decimal places": (
        lambda c, d: upload(c, "cpe-x,IMP-X5,12,5,1e-9999999", columns=COORDINATE_COLUMNS),
        "latitude: at most 6 decimal places, not '1e-9999999'.",
    ),
}


@pytest.mark.parametrize("case", FORMS)
def test_a_hostile_form_value_is_refused_in_words_and_nothing_is_sent(
    cached_fleet, device_of_org, noc, client_of, case
):
    post, said = FORMS[case]
    cached_fleet.clear_log()

    response = post(client_of(noc), device_of_org(5))

    assert response.status_code in (200, 400)
    assert said in text_of(response)
    assert writes(cached_fleet) == []
    assert not HeadlessRecord.objects.exists()
    assert not MaintenanceSnapshot.objects.exists()


def test_a_unicode_digit_in_a_key_value_line_is_kept_as_text(
    cached_fleet, device_of_org, noc, client_of
):
    client, device = client_of(noc), device_of_org(5)
    cached_fleet.clear_log()

    assert maintenance(client, device, configuration="key=²").status_code == 302
    assert schedule(client, device, parameters="firmware_image=47\nkey=²").status_code == 302

    put, post = writes(cached_fleet)
    assert put["body"]["configuration"] == {"key": "²"}
    assert post["body"]["parameters"] == {"firmware_image": 47, "key": "²"}
    assert HeadlessRecord.objects.get().parameters == {"firmware_image": 47, "key": "²"}


def test_a_kept_next_maintenance_at_the_calendars_end_leaves_the_page_working(
    cached_fleet, device_of_org, noc, client_of
):
    device = device_of_org(5)
    MaintenanceSnapshot.objects.create(
        device_id=device.id,
        answer={"operational_status": "maintenance", "next_maintenance": "9999-12-31T23:59-12:00"},
    )

    response = client_of(noc).get(f"/devices/{device.id}/maintenance/")

    assert response.status_code == 200


@pytest.mark.parametrize("hostile", ["=", '"><svg onload=alert(1)>', "audit", "//evil.example/"])
def test_the_switcher_returns_to_the_page_it_was_on_when_next_is_not_a_path(
    client_of, viewer, hostile
):
    response = client_of(viewer).post(
        "/organization/",
        {"organization": "7", "next": hostile},
        headers={"referer": "http://testserver/devices/?status=down"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/devices/?status=down"


def test_the_switcher_without_a_page_to_return_to_goes_to_the_overview(client_of, viewer):
    response = client_of(viewer).post("/organization/", {"organization": "", "next": "="})

    assert response["Location"] == "/"


@pytest.mark.parametrize("raw", ["²", "①", "¹²", "١٢", "1.5", "+5", "", "0", "-3", HUGE])
def test_integers_takes_ascii_digits_within_the_bounds_only(raw):
    assert integers.int_or_none(raw, minimum=1, maximum=integers.ID_MAX) is None
    assert integers.parse_int(" 12 ", minimum=1, maximum=integers.ID_MAX) == 12
