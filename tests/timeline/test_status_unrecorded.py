"""The Status view never shows a change from a state it never showed the device entering.

A reboot's answer takes the device Down at once: that change is kept in the history (it was
not: the answer went into the cache, so the polls that followed saw the device already Down,
and the timeline showed "Down → Up" alone). A change the history lacks all the same (seen by
a read of the device between polls, which keeps none) gets a line of its own saying it
happened and between which moments."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from devices import tasks
from devices.history_models import StatusChange
from tests.timeline.conftest import entries, timeline_of

pytestmark = pytest.mark.django_db


def test_a_reboot_from_the_devices_page_shows_up_to_down_before_down_to_up(
    cached_fleet, cache_settings, device_of_org, client_of, operator
):
    device = device_of_org(5)
    cached_fleet.settings(op_delay_seconds=30)
    tasks.poll_fleet.apply().get()
    client = client_of(operator)

    client.post(f"/devices/{device.id}/actions/reboot/", {"key": "k" * 32})
    tasks.poll_fleet.apply().get()  # still Down: the poll sees no change
    cached_fleet.advance(31)  # the reboot is done: Up again
    tasks.poll_fleet.apply().get()

    shown = entries(timeline_of(client, device.id, kind="status"))
    titles = [re.search(r"(Up|Down) → (Up|Down)", words).group(0) for _, words in shown]
    assert titles == ["Down → Up", "Up → Down"]
    went_down = shown[1][1]
    assert "time not recorded" not in went_down
    assert re.search(r"\d\d:\d\d:\d\d Up → Down", went_down)
    assert "Down for " in went_down


def change(device, at, before, after, seen_by="incremental"):
    return StatusChange.objects.create(
        device_id=device.id, organization_id=device.organization_id, from_status=before,
        to_status=after, at=at, seen_by=seen_by, poll_at=at,
    )  # fmt: skip


def test_a_change_from_a_state_never_recorded_is_preceded_by_the_missing_change(
    cached_fleet, device_of_org, client_of, noc
):
    device = device_of_org(5)  # Up now
    start = timezone.now() - timedelta(hours=2)
    change(device, start, "Up", "Down")
    back = change(device, start + timedelta(minutes=10), "Down", "Up")
    # Down again at a moment nobody recorded, then seen coming back Up by a poll.
    again = change(device, start + timedelta(minutes=50), "Down", "Up")

    shown = [words for _, words in entries(timeline_of(client_of(noc), device.id, kind="status"))]

    assert len(shown) == 4
    assert "Down → Up" in shown[0] and "Still Up" in shown[0]
    missing = shown[1]
    assert missing.startswith("time not recorded Up → Down")
    local = timezone.localtime
    assert f"between {local(back.at):%Y-%m-%d %H:%M:%S} and {local(again.at):%Y-%m-%d %H:%M:%S}" \
        in missing  # fmt: skip
    assert "Down → Up" in shown[2] and "Up until a change the history did not record" in shown[2]
    assert "Up → Down" in shown[3] and "Down for 10 min" in shown[3]


def test_a_first_change_from_down_says_when_it_went_down_is_not_recorded(
    cached_fleet, device_of_org, client_of, noc
):
    device = device_of_org(5)
    up = change(device, timezone.now() - timedelta(minutes=5), "Down", "Up")

    shown = [words for _, words in entries(timeline_of(client_of(noc), device.id, kind="status"))]

    assert len(shown) == 2
    assert "Down → Up" in shown[0]
    assert shown[1].startswith("time not recorded Went Down")
    assert f"before {timezone.localtime(up.at):%Y-%m-%d %H:%M:%S}" in shown[1]


def test_a_first_change_from_up_needs_no_line(cached_fleet, device_of_org, client_of, noc):
    device = device_of_org(5)
    change(device, timezone.now() - timedelta(minutes=5), "Up", "Down")

    shown = entries(timeline_of(client_of(noc), device.id, kind="status"))

    assert len(shown) == 1


def test_the_missing_change_at_a_pages_end_is_on_the_next_page_once(
    cached_fleet, device_of_org, client_of, noc
):
    """25 recorded changes fill the first page; the line for the change missing before its
    oldest one is cut to the next page, and shown there once, before the change under it."""
    device = device_of_org(5)
    start = timezone.now() - timedelta(days=1)
    change(device, start, "Up", "Down")  # the oldest: Down
    # Then, unrecorded: Up. Then 25 changes recorded from there: Up → Down, Down → Up, ...
    for i in range(25):
        before, after = ("Up", "Down") if i % 2 == 0 else ("Down", "Up")
        change(device, start + timedelta(minutes=10 * (i + 1)), before, after)
    client = client_of(noc)

    first = timeline_of(client, device.id, kind="status")
    older = re.search(r'href="([^"]+before=[^"]+)"[^>]*rel="next"', first).group(1)
    second = client.get(older.replace("&amp;", "&"), HTTP_HX_REQUEST="true").content.decode()

    assert len(entries(first)) == 25
    assert not any("time not recorded" in words for _, words in entries(first))
    ((_, missing), (_, oldest)) = entries(second)
    assert missing.startswith("time not recorded Down → Up")
    assert "Up → Down" in oldest and "Down until a change the history did not record" in oldest
