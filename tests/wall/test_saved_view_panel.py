"""Saved views on the wall: a big Up/Down tile with its Down devices, one panel per view the
user may open, read in each viewer's own organizations."""

import pytest

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
