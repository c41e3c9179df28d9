"""Saved views as tiles: live counts within the reader's organizations (the overview's
pins, the wall screen's panels), and words instead of counts when Redis is down."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import redis

from accounts import tenancy
from devices import list_selectors
from maintenance_windows.models import MaintenanceWindow
from saved_views import selectors
from saved_views.models import PinnedView, SavedView
from tests.fixtures.users import ORG_B
from tests.saved_views.conftest import ORG_SHARED, shown_ids


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
    # Organization 7's devices are marked, and listed after those needing attention.
    listed = [d.organization == "Test organization 7" for d in tile.down_devices]
    assert [d.in_maintenance for d in tile.down_devices] == listed == sorted(listed)


def listed_names(page: str) -> list[str]:
    """The device names the (one) tile's list of Down devices shows, in order."""
    listing = re.search(r'<ul class="view-tile-down-devices".*?</ul>', page, re.S)[0]
    return re.findall(r'<li><a href="/devices/\d+/">([^<]+)</a>', listing)


def put_in_maintenance(devices):
    """A window in force over exactly `devices` (one per organization, as windows are)."""
    by_org = {}
    for device in devices:
        by_org.setdefault(device.organization_id, []).append(device.id)
    for org, ids in by_org.items():
        MaintenanceWindow.objects.create(
            organization_id=org,
            device_ids=ids,
            reason="fibre works",
            starts_at=datetime.now(UTC) - timedelta(hours=1),
        )


def test_the_overviews_tile_lists_first_the_down_devices_not_in_maintenance(
    client_of, member_b, shared_view, polled, all_devices
):
    """Before, the tile listed the view's first Down devices by name even when all of them
    were in maintenance, while the other Down devices, needing attention, were not listed,
    nothing said how many of the Down devices it showed, and its label said "the first 5"."""
    client = client_of(member_b)
    client.post(f"/views/{shared_view.pk}/pin/")
    first = set(listed_names(client.get("/").content.decode()))
    down = [d for d in all_devices() if d.organization_id in {ORG_B, ORG_SHARED} and not d.is_up]
    assert len(down) >= 2 * len(first) == 2 * selectors.TILE_DOWN_DEVICES
    put_in_maintenance([d for d in down if d.name in first])

    page = client.get("/").content.decode()

    shown = listed_names(page)
    assert len(shown) == len(first)
    assert not set(shown) & first and set(shown) <= {d.name for d in down}
    assert f"of which in maintenance {len(first)}</p>" in page
    note = f"{len(shown)} of {len(down)} Down shown, those not in maintenance first"
    assert f"{note}</p>" in page
    assert f'aria-label="Down devices, {len(shown)} of {len(down)}, those not in ' in page
    assert "Down devices, the first" not in page


def test_the_overviews_tile_lists_devices_in_maintenance_after_those_needing_attention(
    client_of, member_b, shared_view, polled, all_devices
):
    """All Down devices but one, not among the view's first, in maintenance: that one is
    listed first, then the view's first ones in maintenance, in the view's order."""
    client = client_of(member_b)
    client.post(f"/views/{shared_view.pk}/pin/")
    first = listed_names(client.get("/").content.decode())
    down = [d for d in all_devices() if d.organization_id in {ORG_B, ORG_SHARED} and not d.is_up]
    needing = next(d for d in down if d.name not in first)
    put_in_maintenance([d for d in down if d is not needing])

    page = client.get("/").content.decode()

    assert listed_names(page) == [needing.name, *first[:-1]]
    listing = re.search(r'<ul class="view-tile-down-devices".*?</ul>', page, re.S)[0]
    assert listing.count("in maintenance</span>") == len(first) - 1
    assert f"of which in maintenance {len(down) - 1}</p>" in page
    assert f"{len(first)} of {len(down)} Down shown, those not in maintenance first" in page


def test_a_tiles_down_devices_not_in_maintenance_come_in_the_views_order(
    client_of, member_b, shared_view, polled, all_devices
):
    """The tile lists the view's Down devices not in maintenance in the order the view's
    page lists them, then, in that order too, those in maintenance."""
    on_page = shown_ids(client_of(member_b).get(f"/views/{shared_view.pk}/"))
    down = {d.id: d for d in all_devices() if not d.is_up}
    maintained = on_page[: len(on_page) - 2]  # all but the page's last two
    put_in_maintenance([down[i] for i in maintained])

    tile = selectors.view_tile(shared_view, tenancy.scope_for(member_b))

    expected = (on_page[-2:] + maintained)[: selectors.TILE_DOWN_DEVICES]
    assert [d.id for d in tile.down_devices] == expected
    assert [d.in_maintenance for d in tile.down_devices] == [i in maintained for i in expected]
    assert tile.in_maintenance == len(maintained) and tile.attention_first


def test_without_maintenance_the_tile_says_how_many_of_its_down_devices_it_shows(
    client_of, member_b, shared_view, polled, all_devices
):
    client = client_of(member_b)
    client.post(f"/views/{shared_view.pk}/pin/")

    page = client.get("/").content.decode()

    down = sum(not d.is_up for d in all_devices() if d.organization_id in {ORG_B, ORG_SHARED})
    shown = selectors.TILE_DOWN_DEVICES
    assert f"{shown} of {down} Down shown</p>" in page
    assert f'aria-label="Down devices, {shown} of {down}"' in page


def test_redis_lost_while_a_tile_is_read_the_overview_says_so(
    client_of, member_b, shared_view, polled, monkeypatch
):
    """Redis answering the counts, then failing while the Down devices in maintenance are
    read: the overview answered 500; now the tile says its counts are unknown."""
    MaintenanceWindow.objects.create(
        organization_id=ORG_B, reason="fibre works", starts_at=datetime.now(UTC)
    )
    PinnedView.objects.create(user=member_b, view=shared_view)

    def lost(*args, **kwargs):
        raise redis.ConnectionError("Connection reset by peer")

    monkeypatch.setattr(list_selectors, "iter_matching", lost)
    response = client_of(member_b).get("/")

    assert response.status_code == 200
    assert selectors.TILE_UNREACHABLE in response.content.decode()
