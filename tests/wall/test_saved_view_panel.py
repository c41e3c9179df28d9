"""Saved views on the wall: a big Up/Down tile with its Down devices, one panel per view the
user may open, read in each viewer's own organizations."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from maintenance_windows.models import MaintenanceWindow
from saved_views.models import SavedView
from tests.fixtures.users import ORG_A, ORG_OTHER
from wall.models import WallSettings

REFRESH = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shared_view(noc):
    """Every device, shared with organization 5 (no organization of its own in its filter)."""
    return SavedView.objects.create(name="Everything", owner=noc, organization_id=ORG_A)


def counts(devices, orgs=None):
    mine = [d for d in devices if orgs is None or d.organization_id in orgs]
    return sum(d.is_up for d in mine), sum(not d.is_up for d in mine)


@pytest.mark.parametrize(("user", "orgs"), [("display", None), ("tenant_display", {ORG_A})])
def test_one_shared_view_shows_each_wall_its_own_organizations(
    client_of, request, polled, all_devices, shared_view, user, orgs
):
    client = client_of(request.getfixturevalue(user))

    response = client.get(f"/wall/panels/view-{shared_view.pk}/", **REFRESH)

    tile = response.context["panel"]["tile"]
    assert (tile.up, tile.down) == counts(all_devices(), orgs)
    assert tile.error == ""
    content = response.content.decode()
    assert "Everything" in content and "view-tile-down-devices" in content
    if orgs is not None:
        down_ids = {d.id for d in all_devices() if d.organization_id == ORG_A and not d.is_up}
        assert {d.id for d in tile.down_devices} <= down_ids


def test_a_view_the_user_may_not_open_is_neither_offered_nor_shown(
    client_of, outsider, polled, shared_view
):
    client = client_of(outsider)

    assert client.get(f"/wall/panels/view-{shared_view.pk}/").status_code == 404
    assert "Everything" not in client.get("/wall/settings/").content.decode()
    assert client.get("/wall/panels/view-abc/").status_code == 404


def test_a_view_is_chosen_in_the_chooser_and_shown_in_its_place(
    client_of, tenant_display, polled, shared_view
):
    client = client_of(tenant_display)
    key = f"view-{shared_view.pk}"
    assert "View: Everything" in client.get("/wall/settings/").content.decode()

    client.post("/wall/settings/", {"seconds": "20", f"position_{key}": "1",
                                    "position_overview": "2"})  # fmt: skip

    content = client.get("/wall/").content.decode()
    assert content.index(f'id="wall-panel-{key}"') < content.index('id="wall-panel-overview"')


def test_a_deleted_view_leaves_the_wall_without_it(client_of, tenant_display, shared_view):
    key = f"view-{shared_view.pk}"
    WallSettings.objects.create(user=tenant_display, panels=[key, "triage"], seconds=10)
    shared_view.delete()

    content = client_of(tenant_display).get("/wall/").content.decode()

    assert key not in content and 'id="wall-panel-triage"' in content


def test_without_redis_a_view_panel_says_so(client_of, display, redis_down, shared_view):
    response = client_of(display).get(f"/wall/panels/view-{shared_view.pk}/", **REFRESH)

    assert response.status_code == 200
    assert "Redis" in response.content.decode()


def test_an_outsiders_view_shows_nothing_of_organization_5(client_of, outsider, polled, noc):
    view = SavedView.objects.create(name="Theirs", owner=noc, organization_id=ORG_OTHER)

    response = client_of(outsider).get(f"/wall/panels/view-{view.pk}/", **REFRESH)

    tile = response.context["panel"]["tile"]
    assert all(d.organization for d in tile.down_devices)
    assert "Test organization 5" not in response.content.decode()


def listed_names(content: str) -> list[str]:
    """The device names the tile's list of Down devices shows, in order."""
    listing = re.search(r'<ul class="view-tile-down-devices".*?</ul>', content, re.S)[0]
    return re.findall(r'<li><a href="/devices/\d+/">([^<]+)</a>', listing)


def test_a_views_panel_lists_first_the_down_devices_not_in_maintenance(
    client_of, display, polled, all_devices, shared_view
):
    """Before, the view's first Down devices by name were listed even when all of them were
    in maintenance, while the other Down devices, needing attention, were not, and nothing
    said how many of the Down devices the tile showed."""
    client = client_of(display)
    url = f"/wall/panels/view-{shared_view.pk}/"
    first = client.get(url, **REFRESH).context["panel"]["tile"].down_devices
    devices = {d.id: d for d in all_devices()}
    for org in {devices[d.id].organization_id for d in first}:
        MaintenanceWindow.objects.create(
            organization_id=org,
            device_ids=[d.id for d in first if devices[d.id].organization_id == org],
            reason="fibre works",
            starts_at=datetime.now(UTC) - timedelta(hours=1),
        )

    content = client.get(url, **REFRESH).content.decode()

    down = [d for d in devices.values() if not d.is_up]
    assert len(down) >= 2 * len(first)  # enough Down devices outside maintenance to list
    shown = listed_names(content)
    assert len(shown) == len(first)
    assert not set(shown) & {d.name for d in first}
    assert set(shown) <= {d.name for d in down}
    assert f"of which in maintenance {len(first)}</p>" in content
    assert f"{len(first)} of {len(down)} Down shown, those not in maintenance first" in content


def test_a_views_panel_lists_devices_in_maintenance_after_those_needing_attention(
    client_of, display, polled, all_devices, shared_view
):
    """All Down devices but one, not among the view's first, in maintenance: that one comes
    first, then the others, marked "in maintenance"."""
    client = client_of(display)
    url = f"/wall/panels/view-{shared_view.pk}/"
    first = {d.id for d in client.get(url, **REFRESH).context["panel"]["tile"].down_devices}
    down = [d for d in all_devices() if not d.is_up]
    needing = next(d for d in down if d.id not in first)
    maintained = {}  # organization -> its Down devices to put in maintenance
    for device in down:
        if device is not needing:
            maintained.setdefault(device.organization_id, []).append(device.id)
    for org, ids in maintained.items():
        MaintenanceWindow.objects.create(
            organization_id=org,
            device_ids=ids,
            reason="fibre works",
            starts_at=datetime.now(UTC) - timedelta(hours=1),
        )

    content = client.get(url, **REFRESH).content.decode()

    shown = listed_names(content)
    assert shown[0] == needing.name and len(shown) == len(first)
    listing = re.search(r'<ul class="view-tile-down-devices".*?</ul>', content, re.S)[0]
    assert listing.count("in maintenance</span>") == len(shown) - 1
    assert f"of which in maintenance {len(down) - 1}</p>" in content
