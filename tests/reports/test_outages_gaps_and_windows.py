"""What NOC staff found contradictory or untrue on the uptime report: an outage across a
gap read 00:07:08 beside "Time Down 00:00:32" with no word why; a gap of failed polls was
called "the poller was not running"; a window listed as left out up to its end in the
future; an organization's outages that never named their device."""

import csv
import io
import pickle
import re
import zlib
from datetime import timedelta

import pytest

from devices import history_store
from maintenance_windows.models import MaintenanceWindow
from reports import formatting, prepared, uptime
from reports.availability import Outage
from reports.models import PreparedReport
from reports.periods import period_of
from tests.fixtures.users import ORG_A
from tests.reports.conftest import DAY, DEVICE, NOW, change, query

ACROSS = 4545  # Down at 10:19:28, Up at 10:27:36: mostly in the gap 10:20–10:30


def section(page: str, title_id: str) -> str:
    part = page[page.index(f'id="{title_id}"') :]
    return part[: part.index("</section>")]


@pytest.fixture
def outage_across_the_gap(history):
    """Device 4545 goes Down 32 s before the gap (10:20–10:30, no successful poll) and
    comes back Up inside it; the poll after the gap sees its return (the upstream's time)."""
    ten = history
    down, up = ten + timedelta(minutes=19, seconds=28), ten + timedelta(minutes=27, seconds=36)
    for seen, at, to in [(ten + timedelta(minutes=19, seconds=30), down, "Down"),
                         (ten + timedelta(minutes=30), up, "Up")]:  # fmt: skip
        history_store.record_poll(
            seen_by="incremental", at=seen, transitions=[change(ACROSS, at, to)], org_counts={}
        )
    return ten


def test_an_outage_across_a_gap_says_how_much_of_it_was_not_observed(
    client_of, tenant_admin, outage_across_the_gap
):
    page = client_of(tenant_admin).get("/reports/", query(device=ACROSS)).content.decode()

    # Down observed only from 10:19:28 to the gap at 10:20:00; the outage lasted 00:08:08.
    assert '<dd class="time-down">00:00:32</dd>' in page
    longest = re.search(r'<dd class="longest-outage">(.*?)</dd>', page, re.S).group(1)
    assert "00:08:08" in longest
    assert "not observed: 00:07:36 when no poll succeeded" in longest
    outages = section(page, "outages-title")
    assert "Mar 2, 2026 10:19:28 – Mar 2, 2026 10:27:36 (00:08:08" in outages
    assert "not observed: 00:07:36 when no poll succeeded" in outages
    # Beside the figures, why the outage's length and Time Down differ.
    assert "Time Down counts only the time observed" in page
    assert "the mean time to recovery come from the devices' own times" in page.replace(
        "&#x27;", "'"
    )


def test_an_outage_observed_in_full_says_nothing_of_time_not_observed(
    client_of, tenant_admin, history
):
    page = client_of(tenant_admin).get("/reports/", query(device=DEVICE)).content.decode()
    assert "not observed:" not in page
    assert "Time Down counts only the time observed" not in page


def test_a_gap_is_called_what_is_known_of_it_no_successful_poll(client_of, tenant_admin, history):
    """The history keeps successful polls only: a gap may be a poller that did not run or
    one whose polls failed, and the page must not claim which."""
    client = client_of(tenant_admin)
    page = client.get("/reports/", query(device=DEVICE)).content.decode()

    assert "the poller was not running" not in page.replace(
        "the poller was not running or its polls failed", ""
    )
    gaps = section(page, "gaps-title")
    assert "Gaps: no successful poll" in gaps
    assert "the poller was not running or its polls failed" in gaps
    rows = list(csv.DictReader(io.StringIO(client.get("/reports/export.csv", query()).text)))
    gap = next(r for r in rows if r["row"] == "gap")
    assert gap["note"] == (
        "no successful poll (the poller was not running or its polls failed): not observed"
    )


@pytest.fixture
def window_until_two(history):
    """A window from 11:30 to 14:00 over device 4242, read at noon; another at 15:00."""
    for hours, reason in [((11.5, 14), "Core switch upgrade"), ((15, 16), "Later works")]:
        MaintenanceWindow.objects.create(
            organization_id=ORG_A,
            device_ids=[DEVICE],
            reason=reason,
            starts_at=DAY + timedelta(hours=hours[0]),
            ends_at=DAY + timedelta(hours=hours[1]),
            created_at=DAY,
        )
    return history


@pytest.mark.parametrize("extra", [{}, {"device": DEVICE}])
def test_a_window_still_running_is_listed_up_to_now_not_its_end(
    client_of, tenant_admin, window_until_two, extra
):
    client = client_of(tenant_admin)
    page = client.get("/reports/", query(**extra)).content.decode()

    windows = section(page, "windows-title")
    assert "Mar 2, 2026 11:30:00 – Mar 2, 2026 12:00:00 (00:30:00): Core switch upgrade" in windows
    assert "14:00:00" not in windows
    assert "Later works" not in windows  # not begun: it has left nothing out yet
    rows = list(csv.DictReader(io.StringIO(client.get("/reports/export.csv", query()).text)))
    listed = [(r["start"], r["end"]) for r in rows if r["row"] == "maintenance"]
    assert ("2026-03-02T11:30:00+00:00", "2026-03-02T12:00:00+00:00") in listed
    assert all(end <= NOW.isoformat() for _, end in listed)


@pytest.fixture
def named_device_outage(history, cached_fleet, device_of_org):
    """A device of organization 5 with a name in the fleet cache, Down 10:12–10:14."""
    device = device_of_org(ORG_A)
    ten = history
    for minute, to in [(12, "Down"), (14, "Up")]:
        history_store.record_poll(
            seen_by="incremental",
            at=ten + timedelta(minutes=minute, seconds=10),
            transitions=[change(device.id, ten + timedelta(minutes=minute), to)],
            org_counts={},
        )
    return device


def test_an_organizations_outages_name_their_device_and_link_its_report(
    client_of, tenant_admin, named_device_outage
):
    device = named_device_outage
    page = client_of(tenant_admin).get("/reports/", query()).content.decode()

    outages = section(page, "outages-title")
    line = next(li for li in outages.split("<li>") if "10:12:00" in li)
    link = (
        f'href="/reports/?device={device.id}&amp;period=day&amp;day=2026-03-02'
        f'&amp;until=2026-03-02"'
    )
    assert link in line
    assert f">{device.name}</a>" in line and f"#{device.id}" in line
    # The one of device 4242, which the fleet cache does not know, by its id.
    assert any(f"#{DEVICE}" in li and "10:05:00" in li for li in outages.split("<li>"))
    # The printout keeps the list: the section is not left out of print.
    assert "no-print" not in page[page.rindex("<section", 0, page.index("outages-title")) :][:80]


def test_a_prepared_organization_report_names_its_outages_devices(
    client_of, tenant_admin, named_device_outage, settings, celery_eager
):
    settings.REPORT_BACKGROUND_DEVICES = 0
    client = client_of(tenant_admin)
    client.post("/reports/prepare/", query())

    page = client.get("/reports/", query()).content.decode()

    assert "Prepared at " in page
    outages = section(page, "outages-title")
    assert f"#{named_device_outage.id}" in outages and f"#{DEVICE}" in outages


def test_a_report_prepared_before_outages_named_devices_still_shows(
    client_of, tenant_admin, history, settings, celery_eager
):
    """A pickle of the version before: its outages carry none of the new fields; they read
    their defaults, and the page answers without naming devices it was not told of."""
    settings.REPORT_BACKGROUND_DEVICES = 0
    report = uptime.build(
        period=period_of("day", DAY.date(), None, DAY.tzinfo), organization_id=ORG_A
    )
    every = [*report.figures.outages, *(o for d in report.devices for o in d.figures.outages)]
    for outage in {id(o): o for o in every}.values():
        for name in ("device_id", "device_name", "in_gaps", "in_maintenance", "before_data"):
            object.__delattr__(outage, name)  # as the version before pickled it
    kept = zlib.compress(pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL))
    assert b"in_gaps" not in zlib.decompress(kept)
    client = client_of(tenant_admin)
    client.post("/reports/prepare/", query())
    PreparedReport.objects.update(report=kept, shape=prepared.SHAPE)

    answer = client.get("/reports/", query())

    assert answer.status_code == 200
    outages = section(answer.content.decode(), "outages-title")
    assert "Mar 2, 2026 10:05:00 – Mar 2, 2026 10:07:30 (00:02:30)" in outages


def test_the_words_for_time_not_observed_name_each_reason_once():
    start = DAY + timedelta(hours=10)
    outage = Outage(start, start + timedelta(hours=1), ongoing=False, in_gaps=396.4,
                    in_maintenance=300, before_data=0.2)  # fmt: skip
    said = "00:06:36 when no poll succeeded and 00:05:00 in maintenance"
    assert formatting.not_observed(outage) == said
    both = [outage, Outage(start, start, ongoing=True, before_data=60)]
    assert formatting.not_observed(both) == (
        "00:06:36 when no poll succeeded, 00:05:00 in maintenance and 00:01:00 before the data "
        "starts"
    )
    assert formatting.not_observed(Outage(start, start, ongoing=False)) == ""
