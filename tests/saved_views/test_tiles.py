"""Saved views as tiles: live counts within the reader's organizations (the overview's
pins, the wall screen's panels), and words instead of counts when Redis is down."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts import tenancy
from maintenance_windows.models import MaintenanceWindow
from saved_views import selectors
from saved_views.models import PinnedView, SavedView
from tests.fixtures.users import ORG_B
from tests.saved_views.conftest import ORG_SHARED


def counts_of(devices, org_ids):
    mine = [d for d in devices if d.organization_id in org_ids]
    return sum(d.is_up for d in mine), sum(not d.is_up for d in mine)


def test_a_tile_counts_the_views_devices_in_the_readers_organizations(
    member_b, admin_a, polled, all_devices
):
    view = SavedView.objects.create(name="All", owner=admin_a, organization_id=ORG_SHARED)

    tile = selectors.view_tile(view, tenancy.scope_for(member_b))

    up, down = counts_of(all_devices(), {ORG_B, ORG_SHARED})
    assert (tile.up, tile.down, tile.total) == (up, down, up + down)
    assert tile.error == ""
    assert tile.url == f"/views/{view.pk}/"
    assert len(tile.down_devices) == min(down, selectors.TILE_DOWN_DEVICES)
    assert {d.organization for d in tile.down_devices} <= {
        "Northwind Enterprise Networks", "Test organization 7", "Test organization 12",
    }  # fmt: skip


def test_a_tile_of_a_down_view_counts_no_up(member_b, shared_view, polled, all_devices):
    tile = selectors.view_tile(shared_view, tenancy.scope_for(member_b))

    _, down = counts_of(all_devices(), {ORG_B, ORG_SHARED})
    assert (tile.up, tile.down, tile.total) == (0, down, down)


def test_the_overview_shows_a_users_pinned_views_with_their_counts(
    client_of, member_b, shared_view, polled, all_devices
):
    client = client_of(member_b)
    client.post(f"/views/{shared_view.pk}/pin/")

    page = client.get("/").content.decode()

    _, down = counts_of(all_devices(), {ORG_B, ORG_SHARED})
    assert 'aria-label="Saved view Down everywhere"' in page
    assert f"<dt>Down</dt><dd>{down}</dd>" in page
    assert f'href="/views/{shared_view.pk}/"' in page


def test_pins_are_per_user(client_of, admin_a, member_b, shared_view, polled):
    PinnedView.objects.create(user=admin_a, view=shared_view)

    assert "view-tile" not in client_of(member_b).get("/").content.decode()


def test_the_overviews_refresh_brings_the_tiles(client_of, member_b, shared_view, polled):
    PinnedView.objects.create(user=member_b, view=shared_view)

    response = client_of(member_b).get("/", headers={"HX-Request": "true"})

    assert 'aria-label="Saved view Down everywhere"' in response.content.decode()


def test_a_pinned_view_the_user_may_no_longer_open_is_not_shown(
    client_of, member_b, shared_view, polled
):
    PinnedView.objects.create(user=member_b, view=shared_view)
    member_b.memberships.filter(organization__upstream_id=ORG_SHARED).delete()

    assert "Down everywhere" not in client_of(member_b).get("/").content.decode()


def test_redis_down_a_tile_says_so_in_words(member_b, shared_view, redis_down):
    tile = selectors.view_tile(shared_view, tenancy.scope_for(member_b))

    assert tile.up is None and tile.down is None and tile.total is None
    assert tile.error == selectors.TILE_UNREACHABLE


def test_redis_down_the_overview_says_its_tiles_have_no_counts(
    client_of, member_b, shared_view, redis_down
):
    PinnedView.objects.create(user=member_b, view=shared_view)

    response = client_of(member_b).get("/")

    assert response.status_code == 200
    assert "Counts unknown: the fleet cache (Redis) is unreachable." in response.content.decode()


@pytest.mark.parametrize("path", ["/views/", "/views/{pk}/", "/devices/"])
def test_redis_down_the_views_pages_still_answer(
    client_of, member_b, shared_view, redis_down, path
):
    response = client_of(member_b).get(path.format(pk=shared_view.pk))

    assert response.status_code == 200


def test_before_the_first_poll_a_tile_says_so(member_b, shared_view, cache_settings, key_prefix):
    tile = selectors.view_tile(shared_view, tenancy.scope_for(member_b))

    assert tile.error == selectors.TILE_NOT_POLLED


def test_a_tile_says_how_many_of_its_down_devices_are_in_maintenance(
    client_of, member_b, shared_view, polled, all_devices
):
    """Before, a view whose Down devices were all in a maintenance window showed them as
    plain Down, in red, while the overview's table beside it said "of which in maintenance"
    and triage said nothing was Down."""
    MaintenanceWindow.objects.create(
        organization_id=ORG_B,
        reason="fibre works",
        starts_at=datetime.now(UTC) - timedelta(hours=1),
    )
    client = client_of(member_b)
    client.post(f"/views/{shared_view.pk}/pin/")

    tile = selectors.view_tile(shared_view, tenancy.scope_for(member_b))
    page = client.get("/").content.decode()

    in_b = sum(not d.is_up for d in all_devices() if d.organization_id == ORG_B)
    assert in_b and tile.in_maintenance == in_b and not tile.maintenance_at_least
    assert f"of which in maintenance {in_b}</p>" in page
    marked = [d for d in tile.down_devices if d.in_maintenance]
    assert marked and all(d.organization == "Test organization 7" for d in marked)
