"""An uptime report in Chromium whose availability matches, to the second, a fleet history
built in the simulator: devices taken Down and Up through its control, real polls (the
Celery task, run in this process) at known times, a maintenance window over one device
and a poller gap of twelve and a half minutes.

The clock is driven, not waited for: the simulator's clock is moved on through its
control (`advance`), and the dashboard's clock (the polls' start, the report's now) is
set to the same moments, so a quarter of an hour of history takes seconds. The changes'
own times are the simulator's (its `status_change`, a few real milliseconds after each
moment chosen): the test reads them back from the simulator after every step, and so
knows every device's history, the devices' own life included (a flapper's flip).
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from controlapi import ControlAPI
from devices import tasks
from fleet import full_poll, polling
from maintenance_windows.models import MaintenanceWindow
from reports import uptime
from reports.formatting import duration, percent
from simulator.control import SimulatorControl
from tests.fixtures.simulator import ALL_TOKEN
from tests.fixtures.users import ORG_A, PASSWORD

# Seconds after the first poll: polls every 30 s, none from 150 to 900 (a gap: more than
# three poll intervals); A is Down from 40 to 100; B goes Down at 125, inside its window
# (110 to 200), and Up at 905; the report is read at 990.
POLLS = [0, 30, 60, 90, 120, 150, 900, 930, 960]
CHANGES = {40: ("A", False), 100: ("A", True), 125: ("B", False), 905: ("B", True)}
WINDOW = (110, 200)
NOW = 990


@dataclass
class Timeline:
    """Each device's status from the simulator: (when, Up?) pairs, oldest first."""

    statuses: dict[int, list[tuple[datetime, bool]]] = field(default_factory=dict)

    def read(self, api) -> None:
        for device in api.iter_devices(organization=ORG_A, limit=100):
            known = self.statuses.setdefault(device.id, [])
            if not known:
                known.append((datetime.min.replace(tzinfo=UTC), device.is_up))
            elif known[-1][1] != device.is_up:
                known.append((device.status_change, device.is_up))

    def up_seconds(self, device_id: int, spans) -> float:
        changes = self.statuses[device_id]
        total = 0.0
        for start, end in spans:
            for i, (at, up) in enumerate(changes):
                until = changes[i + 1][0] if i + 1 < len(changes) else end
                lo, hi = max(at, start), min(until, end)
                if up and hi > lo:
                    total += (hi - lo).total_seconds()
        return total

    def outages(self, device_id: int, first: datetime, last: datetime, window) -> int:
        """Changes to Down in [first, last) outside the window, and one more for a device
        already Down before `first` (an outage of the range too)."""

        def muted(at):
            return window and window[0] <= at < window[1]

        changes = self.statuses[device_id]
        already = [up for at, up in changes if at < first][-1:] == [False] and not muted(first)
        return int(already) + sum(
            1 for at, up in changes[1:] if not up and first <= at < last and not muted(at)
        )


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def _frozen_datetime(clock: Clock):
    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return clock.at

    return FrozenDatetime


@pytest.fixture
def built_history(settings, simulator, redis_url, key_prefix, dashboard_url, monkeypatch):
    settings.REDIS_URL = redis_url
    settings.POLL_INTERVAL_SECONDS = 30
    settings.POLL_PAGE_SIZE = 100
    control = SimulatorControl(simulator.base_url, simulator.control_token)
    control.reset()
    control.settings(churn_per_minute=0, flap_seconds=[1e9, 1e9])
    api = ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0)
    ours = [d for d in api.iter_devices(organization=ORG_A, limit=100)]
    a, b = ours[0].id, ours[1].id
    for device in (a, b):
        control.set_status(device, up=True)
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    clock = Clock(base)
    monkeypatch.setattr(polling, "_now", clock)
    monkeypatch.setattr(full_poll, "datetime", _frozen_datetime(clock))
    monkeypatch.setattr(uptime, "now", clock)
    MaintenanceWindow.objects.create(
        organization_id=ORG_A,
        device_ids=[b],
        reason="Cabinet swap",
        starts_at=base + timedelta(seconds=WINDOW[0]),
        ends_at=base + timedelta(seconds=WINDOW[1]),
    )
    timeline = Timeline()
    timeline.read(api)
    moved = 0
    for t in sorted({*POLLS, *CHANGES}):
        control.advance(t - moved)
        moved = t
        timeline.read(api)
        if t in CHANGES:
            name, up = CHANGES[t]
            control.set_status(a if name == "A" else b, up=up)
            timeline.read(api)
        if t in POLLS:
            clock.at = base + timedelta(seconds=t)
            tasks.poll_fleet.apply(args=("full" if t == 0 else polling.INCREMENTAL,)).get()
    clock.at = base + timedelta(seconds=NOW)
    yield base, a, b, timeline
    api.close()
    control.reset()


def _at(base, seconds):
    return base + timedelta(seconds=seconds)


def _shown(moment: datetime) -> str:
    """A time as the page writes it (the display zone is UTC in tests)."""
    return f"{moment:%b %-d, %Y %H:%M:%S}"


def _open(page, base, **choice):
    page.goto("/reports/")
    page.get_by_label("Organization").select_option(str(ORG_A))
    if "device" in choice:
        page.get_by_label("Device id (optional)").fill(str(choice["device"]))
    page.get_by_label("Period").select_option("custom")
    page.get_by_label("Day (or first day)").fill((base - timedelta(days=1)).date().isoformat())
    page.get_by_label("Last day (custom dates)").fill((base + timedelta(days=1)).date().isoformat())
    page.get_by_role("button", name="Show report").click()


def test_a_report_matches_the_history_built_in_the_simulator_to_the_second(
    built_history, page, login, tenant_admin, screenshot, tmp_path
):
    base, a, b, timeline = built_history
    polled = [(_at(base, 0), _at(base, 150)), (_at(base, 900), _at(base, NOW))]
    window = (_at(base, WINDOW[0]), _at(base, WINDOW[1]))
    b_observed = [(_at(base, 0), window[0]), polled[1]]
    login(tenant_admin.username, PASSWORD)

    # Device B: Down in its window (not an outage, not counted), and 5 s after the gap.
    _open(page, base, device=b)
    b_up = timeline.up_seconds(b, b_observed)
    facts = page.locator(".report-facts")
    expect(facts.locator(".time-observed")).to_have_text(duration(200))
    expect(facts.locator(".time-up")).to_have_text(duration(b_up))
    expect(facts.locator(".time-down")).to_have_text(duration(200 - b_up))
    expect(facts.locator(".availability")).to_have_text(f"{percent(b_up / 200)} %")
    expect(facts.locator(".outages")).to_have_text("0")
    expect(page.locator(".gap-list")).to_have_text(
        f"{_shown(_at(base, 150))} – {_shown(_at(base, 900))} (00:12:30)"
    )
    expect(page.locator(".window-list")).to_contain_text(
        f"{_shown(window[0])} – {_shown(window[1])} (00:01:30): Cabinet swap"
    )
    expect(page.locator(".history-since")).to_contain_text(f"Data starts {_shown(base)}")
    screenshot("uptime-report-device")

    # Device A: one outage of about a minute, observed in full.
    _open(page, base, device=a)
    a_up = timeline.up_seconds(a, polled)
    expect(facts.locator(".time-observed")).to_have_text(duration(240))
    expect(facts.locator(".time-up")).to_have_text(duration(a_up))
    expect(facts.locator(".availability")).to_have_text(f"{percent(a_up / 240)} %")
    expect(facts.locator(".outages")).to_have_text("1")
    expect(facts.locator(".longest-outage")).to_have_text(duration(240 - a_up))

    # The organization: device-time over all its devices, B's window left out.
    _open(page, base)
    devices = list(timeline.statuses)
    observed = 240 * len(devices) - 40
    up = sum(timeline.up_seconds(d, b_observed if d == b else polled) for d in devices)
    outages = sum(
        timeline.outages(d, _at(base, 0), _at(base, NOW), window if d == b else None)
        for d in devices
    )
    expect(facts.locator(".time-observed")).to_contain_text(duration(observed))
    expect(facts.locator(".time-up")).to_have_text(duration(up))
    expect(facts.locator(".availability")).to_have_text(f"{percent(up / observed)} %")
    expect(facts.locator(".outages")).to_have_text(str(outages))
    expect(page.locator(".worst-devices")).to_contain_text(f"#{a}")
    page.locator("#chart-title").scroll_into_view_if_needed()
    screenshot("uptime-report-organization")

    # The CSV says the same, for the organization and for each device.
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    path = Path(tmp_path) / "report.csv"
    download.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    organization = rows[0]
    assert organization["row"] == "organization"
    assert organization["observed_seconds"] == str(round(observed))
    assert organization["up_seconds"] == str(round(up))
    assert organization["availability_percent"] == percent(up / observed)
    by_device = {r["device_id"]: r for r in rows if r["row"] == "device"}
    assert by_device[str(b)]["up_seconds"] == str(round(b_up))
    assert by_device[str(a)]["outages"] == "1"
    assert [r["row"] for r in rows].count("gap") == 1

    # The printed page leaves the menus and the form out.
    page.emulate_media(media="print")
    expect(page.locator(".report-form")).to_be_hidden()
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator(".report-chart")).to_be_visible()
