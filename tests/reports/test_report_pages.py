"""`/reports/` and its CSV: figures from the durable history as the polls write it,
tenancy (another organization's report or device: 404), the display role, formula
defusing, and Redis down (PostgreSQL is the source: the page still answers)."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from reports import uptime
from tests.fixtures.users import ORG_A, ORG_OTHER, make_user
from tests.reports.conftest import DEVICE, change, poll, query


def test_the_report_shows_availability_the_gap_and_the_window(client_of, tenant_admin, history):
    page = client_of(tenant_admin).get("/reports/", query(device=DEVICE))
    assert page.status_code == 200
    text = page.content.decode()
    # Observed 10:00–11:00 less the gap (10 min) and the window (10 min): 40 min; Down 2 min 30 s.
    assert "00:40:00" in text
    assert "00:37:30" in text
    assert f"{37.5 / 40 * 100:.3f} %" in text
    assert "Mar 2, 2026 10:20:00 – Mar 2, 2026 10:30:00" in text
    assert "Mar 2, 2026 10:40:00 – Mar 2, 2026 10:50:00" in text
    assert "Data starts Mar 2, 2026 10:00:00" in text
    assert "UTC" in text


def test_the_csv_has_the_pages_numbers_and_defuses_formulas(client_of, tenant_admin, history):
    answer = client_of(tenant_admin).get("/reports/export.csv", query(device=DEVICE))
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    device = rows[0]
    assert (device["row"], device["device_id"]) == ("device", str(DEVICE))
    assert (device["observed_seconds"], device["up_seconds"], device["down_seconds"]) == (
        "2400", "2250", "150"
    )  # fmt: skip
    assert device["availability_percent"] == f"{2250 / 2400 * 100:.3f}"
    assert (device["outages"], device["longest_outage_seconds"]) == ("1", "150")
    assert device["mean_time_to_recovery_seconds"] == "150"
    window = next(r for r in rows if r["row"] == "maintenance")
    assert window["note"].startswith("'=HYPERLINK")
    assert any(r["row"] == "gap" for r in rows)


def test_an_organization_report_counts_its_devices(client_of, tenant_admin, history):
    page = client_of(tenant_admin).get("/reports/", query())
    assert page.status_code == 200
    assert "Worst devices" in page.content.decode()
    assert f"#{DEVICE}" in page.content.decode()
    assert "<h1>Uptime report: Test organization 5 (#5)</h1>" in page.content.decode()


@pytest.mark.parametrize("path", ["/reports/", "/reports/export.csv"])
def test_another_organizations_report_is_not_found(client_of, outsider, history, path):
    c = client_of(outsider)
    assert c.get(path, query()).status_code == 404
    assert c.get(path, query(device=DEVICE, organization=ORG_OTHER)).status_code == 404
    assert c.get(path, {**query(device=DEVICE), "organization": ""}).status_code == 404


@pytest.mark.parametrize("path", ["/reports/", "/reports/export.csv"])
def test_an_unknown_device_is_not_found(client_of, tenant_admin, history, path):
    assert client_of(tenant_admin).get(path, query(device=999999)).status_code == 404


@pytest.mark.parametrize("who", ["tenant_admin", "outsider"])
def test_a_device_id_not_found_keeps_the_form_and_says_so_alike(request, client_of, history, who):
    """Before, a device id typed wrong replaced the page with "Page not found" and lost the
    form. Unknown (999999) and another organization's (DEVICE, to the outsider) read alike."""
    device, organization = (999999, ORG_A) if who == "tenant_admin" else (DEVICE, ORG_OTHER)
    answer = client_of(request.getfixturevalue(who)).get(
        "/reports/", query(device=device, period="week", organization=organization)
    )

    page = answer.content.decode()
    assert answer.status_code == 404
    assert f"No device {device} among your organizations&#x27; devices" in page
    assert f'name="device" value="{device}"' in page
    assert '<option value="week" selected>' in page
    assert "Worst devices" not in page
    assert who == "tenant_admin" or "Test organization 5" not in page


def test_the_display_role_sees_the_report_but_may_not_export_it(client_of, organizations, history):
    display = make_user("wall", memberships=[(ORG_A, Role.DISPLAY)])
    c = client_of(display)
    page = c.get("/reports/", query())
    assert page.status_code == 200
    assert "Export CSV" not in page.content.decode()
    assert c.get("/reports/export.csv", query()).status_code == 404


def test_a_viewer_may_export(client_of, viewer, history):
    assert client_of(viewer).get("/reports/export.csv", query()).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"period": "custom", "day": "2026-03-02"},
        {"period": "custom", "day": "2026-03-02", "until": "2026-03-01"},
        {"period": "custom", "day": "2020-01-01", "until": "2026-03-01"},
        {"period": "year", "day": "2026-03-02"},
        {"day": "1899-01-01"},
        {"day": "yesterday", "device": "x"},
        {"organization": "99999999999999999999"},
    ],
)
def test_odd_input_is_answered_in_words_never_500(client_of, tenant_admin, history, params):
    answer = client_of(tenant_admin).get("/reports/", {**query(), **params})
    assert answer.status_code in (200, 404)
    csv_answer = client_of(tenant_admin).get("/reports/export.csv", {**query(), **params})
    assert csv_answer.status_code in (400, 404)


def test_without_redis_the_report_still_comes_from_postgresql(
    client_of, tenant_admin, history, redis_down
):
    page = client_of(tenant_admin).get("/reports/", query(device=DEVICE))
    assert page.status_code == 200
    assert "00:37:30" in page.content.decode()
    assert "this device's status is not known" in page.content.decode().replace("&#x27;", "'")
    org_page = client_of(tenant_admin).get("/reports/", query())
    assert org_page.status_code == 200
    assert "The fleet cache (Redis) is unreachable" in org_page.content.decode()
    assert client_of(tenant_admin).get("/reports/export.csv", query()).status_code == 200


def test_the_form_comes_first(client_of, tenant_admin, history):
    page = client_of(tenant_admin).get("/reports/")
    assert page.status_code == 200
    assert "Show report" in page.content.decode()


def test_an_address_naming_only_the_organization_reports_today(client_of, tenant_admin, db):
    """`/reports/?organization=5` (typed, or a bookmark) said "This field is required." twice."""
    page = client_of(tenant_admin).get("/reports/", {"organization": ORG_A})
    html = page.content.decode()
    assert page.status_code == 200
    assert "This field is required" not in html
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in html
    assert "Export CSV" in html  # the report itself, not only the form


@pytest.mark.parametrize("typed", ["abc", "0", "-3", "99999999999999999999", "٤٢٤٢"])
def test_a_device_id_that_is_not_one_is_said_not_replaced_by_the_organization(
    client_of, tenant_admin, history, typed
):
    c = client_of(tenant_admin)
    page = c.get("/reports/", query(device=typed))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Worst devices" not in text  # no organization's report instead of the device's
    assert f'value="{typed}"' in text  # what was typed stays in the form
    assert 'class="error"' in text
    assert c.get("/reports/export.csv", query(device=typed)).status_code == 400


def test_a_device_of_the_users_other_organization_than_the_one_chosen_is_reported(
    client_of, viewer, tenant_admin, history
):
    """A viewer of 5 and 7 with 7 chosen in the form types a device of 5: its report, under
    its own organization (not a 404 for a device they may see)."""
    c = client_of(viewer)
    page = c.get("/reports/", query(device=DEVICE, organization=7))
    assert page.status_code == 200
    assert "00:37:30" in page.content.decode()
    assert '<option value="5" selected>' in page.content.decode()
    assert c.get("/reports/export.csv", query(device=DEVICE, organization=7)).status_code == 200
    # Another tenant's organization named with one's own device is still not found.
    outside = client_of(tenant_admin).get("/reports/", query(device=DEVICE, organization=ORG_OTHER))
    assert outside.status_code == 404


def test_a_day_when_the_clocks_change_has_its_real_hours(
    client_of, tenant_admin, settings, monkeypatch
):
    """Madrid's clocks go forward on 2026-03-29: the day lasts 23 hours, all observed and Up,
    one bar an hour (times are real time, not the clock's)."""
    settings.DISPLAY_TIME_ZONE = "Europe/Madrid"
    settings.POLL_INTERVAL_SECONDS = 600
    start = datetime(2026, 3, 28, 23, tzinfo=UTC)  # midnight in Madrid
    monkeypatch.setattr(uptime, "now", lambda: start + timedelta(days=2))
    up = [change(DEVICE, start - timedelta(hours=1), "Up")]
    for step in range(-6, 6 * 24 + 6):
        poll(start + timedelta(minutes=10 * step), transitions=up if step == -6 else ())

    page = client_of(tenant_admin).get("/reports/", query(device=DEVICE, day="2026-03-29"))

    text = page.content.decode()
    assert page.status_code == 200
    observed = text.split('class="time-observed">')[1].split("<")[0]
    assert observed == "23:00:00"
    assert "100.000 %" in text
    assert text.count('<rect class="bar-') == 23


MOVED = 4343  # went Down and Up in organization 5, then moved to 11 and went Down and Up


@pytest.fixture
def moved_device(history):
    """Device 4343: Down 10:05–10:07:30 while in organization 5 (as `history`'s 4242), then
    in organization 11: Down 10:40–10:45."""
    ten = history
    for at, to, org in [
        (ten + timedelta(minutes=5), "Down", ORG_A),
        (ten + timedelta(minutes=7, seconds=30), "Up", ORG_A),
        (ten + timedelta(minutes=40), "Down", ORG_OTHER),
        (ten + timedelta(minutes=45), "Up", ORG_OTHER),
    ]:
        poll(at + timedelta(seconds=1), transitions=[change(MOVED, at, to, org=org)], org=org)
    return ten


def device_row(answer) -> dict:
    return next(r for r in csv.DictReader(io.StringIO(answer.content.decode()))
                if r["row"] == "device")  # fmt: skip


def test_a_moved_devices_report_shows_its_new_organization_none_of_its_old_ones_changes(
    client_of, outsider, moved_device
):
    params = query(device=MOVED, organization=ORG_OTHER)
    answer = client_of(outsider).get("/reports/export.csv", params)
    page = client_of(outsider).get("/reports/", params).content.decode()

    assert answer.status_code == 200
    row = device_row(answer)
    # Its outage in organization 11 (5 min), not the one while it was organization 5's.
    assert (row["outages"], row["longest_outage_seconds"]) == ("1", "300")
    assert "10:05:00" not in page
    assert "10:40:00" in page


def test_the_old_organizations_report_keeps_the_devices_changes_from_its_time_there(
    client_of, tenant_admin, moved_device
):
    answer = client_of(tenant_admin).get("/reports/export.csv", query())

    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    moved = next(r for r in rows if r["row"] == "device" and r["device_id"] == str(MOVED))
    assert (moved["outages"], moved["longest_outage_seconds"]) == ("1", "150")


def test_the_charts_legend_tells_no_data_from_a_poller_gap(client_of, tenant_admin, history):
    """Before, days with no history yet were drawn in a grey the legend called nothing, read
    as "poller gap" beside "No gaps in this range"."""
    page = client_of(tenant_admin).get("/reports/", query(period="week")).content.decode()
    assert 'class="bar-none"' in page
    assert '<span class="legend-none">no data (before the history, or ahead)</span>' in page


def _ticks(page: str) -> list[str]:
    axis = re.search(r'<svg class="report-ticks".*?</svg>', page, re.S).group(0)
    return re.findall(r"<text [^>]*>([^<]+)</text>", axis)


@pytest.mark.parametrize(
    ("period", "labels"),
    [
        ("day", ["00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00"]),
        ("week", ["Mar 02", "Mar 03", "Mar 04", "Mar 05", "Mar 06", "Mar 07", "Mar 08"]),
        ("month", ["Mar 01", "Mar 05", "Mar 09", "Mar 13", "Mar 17", "Mar 21", "Mar 25", "Mar 29"]),
    ],
)
def test_the_chart_names_the_time_of_its_bars(client_of, tenant_admin, history, period, labels):
    """Before, the bars had no times under them: a dip could be read only by hovering."""
    page = client_of(tenant_admin).get("/reports/", query(period=period)).content.decode()
    assert _ticks(page) == labels
