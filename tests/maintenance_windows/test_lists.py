"""Devices in a window in force, as the lists show them: the "in maintenance" badge of the
device list (covered devices only), and the overview's Down count with those in maintenance
apart, against the simulator's fleet polled into the read model."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from fleet import polling
from maintenance_windows.models import MaintenanceWindow
from tests.fixtures.users import ORG_A, ORG_B


@pytest.fixture
def polled(model, api_factory, poll_config, still_fleet, cache_settings):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    return still_fleet


def window(org=ORG_A, **fields):
    now = datetime.now(UTC)
    base = {
        "organization_id": org,
        "reason": "ring works",
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + timedelta(hours=1),
    }
    return MaintenanceWindow.objects.create(**(base | fields))


def badged(response) -> set[int]:
    """The ids of the rows that carry the badge."""
    rows = re.findall(r'data-device-id="(\d+)"(.*?)</tr>', response.content.decode(), re.S)
    return {int(i) for i, row in rows if "badge-maintenance" in row}


def shown(response) -> set[int]:
    return {int(i) for i in re.findall(r'data-device-id="(\d+)"', response.content.decode())}


def test_the_device_list_marks_exactly_the_devices_a_window_covers(
    client_of, noc, polled, all_devices
):
    fleet = [d for d in all_devices() if d.organization_id == ORG_A]
    covered = {d.id for d in fleet[:3]}
    w = window(device_ids=sorted(covered))
    window(ORG_A, device_ids=[fleet[3].id], ends_at=datetime.now(UTC) - timedelta(minutes=1))

    response = client_of(noc).get("/devices/", {"organization": ORG_A, "per_page": "200"})

    assert covered | {fleet[3].id} <= shown(response)
    assert badged(response) == covered
    assert f'href="/maintenance-windows/{w.pk}/"' in response.content.decode()


def test_a_tenant_sees_the_badge_of_a_type_window_on_its_devices_only(
    client_of, tenant_admin, polled, all_devices
):
    fleet = [d for d in all_devices() if d.organization_id == ORG_A]
    kind = fleet[0].type
    window(type_id=kind)

    response = client_of(tenant_admin).get("/devices/", {"per_page": "200"})

    on_page = shown(response)
    assert badged(response) == {d.id for d in fleet if d.type == kind and d.id in on_page}
    assert badged(response)


def test_the_overview_shows_the_down_devices_in_maintenance_apart(
    client_of, noc, polled, all_devices, model, api_factory, poll_config
):
    # A few more Down devices in organization 5, as a poll sees them.
    for device in [d for d in all_devices() if d.organization_id == ORG_A and d.is_up][:6]:
        polled.set_status(device.id, up=False)
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    fleet = all_devices()
    down_a = [d for d in fleet if d.organization_id == ORG_A and not d.is_up]
    down_b = [d for d in fleet if d.organization_id == ORG_B and not d.is_up]
    assert len(down_a) >= 3 and down_b, "the simulator's fleet has Down devices in both"
    # Organization 5: two Down devices by id, a pattern over one more's name, and a type
    # window; they overlap, and each device counts once.
    named = down_a[:2]
    pattern = down_a[2].name[:-1] + "?"
    kind = down_a[0].type
    window(device_ids=[d.id for d in named] + [down_a[0].id])
    window(pattern=pattern)
    window(type_id=kind)
    window(ORG_B)  # the whole organization 7
    expected_a = {d.id for d in named} | {
        d.id
        for d in down_a
        if d.type == kind
        or re.fullmatch(pattern.replace("?", ".").casefold(), (d.name or "").casefold())
        or re.fullmatch(pattern.replace("?", ".").casefold(), (d.serial_number or "").casefold())
    }

    response = client_of(noc).get("/")

    rows = {r["organization"].upstream_id: r for r in response.context["rows"]}
    assert rows[ORG_A]["maintenance"] == len(expected_a) < rows[ORG_A]["down"] + 1
    assert rows[ORG_B]["maintenance"] == len(down_b) == rows[ORG_B]["down"]
    html = response.content.decode()
    assert f"· of which in maintenance {len(expected_a)}" in html
    assert f"· of which in maintenance {len(down_b)}" in html


def test_without_windows_the_overview_shows_no_split(client_of, noc, polled):
    window(ends_at=datetime.now(UTC) - timedelta(minutes=5))

    response = client_of(noc).get("/")

    assert all(r["maintenance"] == 0 for r in response.context["rows"])
    assert "of which in maintenance" not in response.content.decode()
