"""The triage board grouped by cause: devices that went Down together are one group that
says what they share, largest first, with its own claim; devices in a maintenance window
in force leave "Down now"; the flat list and the filtered board are links.

Devices go Down in the session simulator (`set_status`, stamped with its clock) and a real
poll brings them into the test's Redis read model, as the worker's poll does.
"""

import html
import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections
from django.test import Client

from accounts.models import AuditEntry, Organization
from devices import triage
from devices.models import Claim
from fleet import polling
from maintenance_windows.models import MaintenanceWindow
from tests.devices.test_triage_page import board_once_up_long_enough, section
from tests.fixtures.users import ORG_A, ORG_OTHER

APART = 600  # seconds between two outages: more than fleet.down_together.TOGETHER


@pytest.fixture
def take_down(polled, poll):
    """`take_down(devices)`: those devices go Down now, and a poll sees it."""

    def run(devices, *, up=False):
        for device in devices:
            polled.set_status(device.id, up=up)
        poll()

    return run


def up_devices(all_devices, org, *, type_id=None, count):
    found = [
        d
        for d in all_devices()
        if d.is_up and d.organization_id == org and (type_id is None or d.type == type_id)
    ]
    assert len(found) >= count
    return found[:count]


def groups(content: str) -> list[dict]:
    """The board's groups in order: anchor, size, the summary's words, the device ids shown."""
    found = []
    for anchor, size, body in re.findall(
        r'<article class="triage-group" data-group="(\d+)" data-size="(\d+)"(.*?)</article>',
        content,
        re.S,
    ):
        summary = re.search(r'class="group-summary">(.*?)</h3>', body, re.S).group(1)
        found.append(
            {
                "anchor": int(anchor),
                "size": int(size),
                "summary": " ".join(re.sub(r"<[^>]+>", "", summary).split()),
                "ids": [int(i) for i in re.findall(r'data-device-id="(\d+)"', body)],
                "html": body,
            }
        )
    return found


def down_count(content: str, title: str = "down-title") -> int:
    return int(re.search(rf'id="{title}">[^<]*<span class="count">(\d+)', content).group(1))


def down_total(all_devices, orgs=None) -> int:
    return sum(
        1 for d in all_devices() if not d.is_up and (orgs is None or d.organization_id in orgs)
    )


def test_devices_that_went_down_together_are_one_group_saying_what_they_share(
    client_of, noc, take_down, all_devices
):
    same_type = up_devices(all_devices, ORG_A, type_id=21, count=4)
    other_type = next(d for d in up_devices(all_devices, ORG_A, count=20) if d.type != 21)
    take_down([*same_type, other_type])

    content = client_of(noc).get("/triage/").content.decode()

    (group,) = groups(content)
    assert group["size"] == 5
    assert set(group["ids"]) == {d.id for d in [*same_type, other_type]}
    assert "5 Down since" in group["summary"]
    assert "all organization Test organization 5" in group["summary"]
    assert "4 of 5 type home_gateway (#21)" in group["summary"]
    # The scattered Down devices of the fleet stay plain rows, not in any group.
    assert not set(section(content, "down")) & set(group["ids"])


def test_the_largest_group_comes_first(client_of, noc, take_down, polled, all_devices):
    devices = up_devices(all_devices, ORG_A, count=6)
    take_down(devices[:2])
    polled.advance(APART)
    take_down(devices[2:])

    content = client_of(noc).get("/triage/").content.decode()

    # The simulator's clock moving on may take another device Down with the first outage.
    first, second = groups(content)
    assert first["size"] >= 4 > second["size"] >= 2
    assert {d.id for d in devices[2:]} <= set(first["ids"])
    assert {d.id for d in devices[:2]} <= set(second["ids"])


def test_past_the_group_limit_the_smaller_groups_are_counted_not_shown(
    client_of, noc, take_down, polled, all_devices, monkeypatch
):
    """A large fleet's Down devices make hundreds of groups; before, every one was drawn
    (6.5 MB of page for 100,000 devices), now the largest are and the rest counted."""
    monkeypatch.setattr(triage, "GROUP_LIMIT", 1)
    devices = up_devices(all_devices, ORG_A, count=6)
    take_down(devices[:2])
    polled.advance(APART)
    take_down(devices[2:])

    content = client_of(noc).get("/triage/").content.decode()

    (shown,) = groups(content)
    assert {d.id for d in devices[2:]} <= set(shown["ids"])
    notice = re.search(r'<p class="notice groups-not-shown">(.*?)</p>', content, re.S).group(1)
    words = " ".join(re.sub(r"<[^>]+>", "", notice).split())
    assert re.fullmatch(
        r"1 smaller group of \d+ Down devices is not shown here; every Down device in one "
        r"list, the most recent first\.",
        words,
    ), words
    assert 'href="/triage/?view=list"' in notice
    assert down_count(content) == down_total(all_devices)


def test_a_group_down_since_another_day_names_that_day(
    client_of, noc, take_down, polled, poll, all_devices
):
    """Before, a group Down for two days read "Down since 03:04", as if since this morning."""
    devices = up_devices(all_devices, ORG_A, count=2)
    take_down(devices)
    # Two days and an hour ago, whatever the time of day the suite runs at.
    old = (datetime.now(UTC) - timedelta(days=2, hours=1)).replace(second=0, microsecond=0)
    for device in devices:
        polled.answer_fields(device.id, status_change=old.isoformat())
    poll()

    found = groups(client_of(noc).get("/triage/").content.decode())

    (group,) = [g for g in found if {d.id for d in devices} <= set(g["ids"])]
    assert group["summary"].startswith(f"2 Down since {old:%b} {old.day} {old:%H:%M} (2 days")


def test_groups_count_every_down_device_not_only_the_first_page(
    client_of, noc, take_down, all_devices, monkeypatch
):
    monkeypatch.setattr(triage, "DOWN_LIMIT", 3)
    devices = up_devices(all_devices, ORG_A, count=5)
    take_down(devices)

    content = client_of(noc).get("/triage/").content.decode()

    assert groups(content)[0]["size"] == 5
    assert down_count(content) == down_total(all_devices)


def test_a_tenant_admin_sees_only_their_organizations_devices_in_groups_and_counts(
    client_of, noc, tenant_admin, take_down, all_devices
):
    ours = up_devices(all_devices, ORG_A, count=3)
    theirs = up_devices(all_devices, ORG_OTHER, count=4)
    take_down([*ours, *theirs])

    as_noc = client_of(noc).get("/triage/").content.decode()
    content = client_of(tenant_admin).get("/triage/").content.decode()

    assert groups(as_noc)[0]["size"] == 7
    (group,) = groups(content)
    assert group["size"] == 3 and set(group["ids"]) == {d.id for d in ours}
    assert "all organization Test organization 5" in group["summary"]
    assert "organization 11" not in content and 'data-size="7"' not in content
    assert not {d.id for d in theirs} & {int(i) for i in re.findall(r"/devices/(\d+)/", content)}
    assert down_count(content) == down_total(all_devices, {ORG_A})


def test_a_group_claim_is_shown_to_others_and_audited_per_organization(
    client_of, operator, tenant_admin, take_down, all_devices
):
    devices = up_devices(all_devices, ORG_A, count=4)
    take_down(devices)
    anchor = devices[0].id

    client_of(operator).post(f"/triage/groups/{anchor}/claim/", {"note": "power cut, on site"})
    content = client_of(tenant_admin).get("/triage/").content.decode()

    group = groups(content)[0]
    assert "operator</strong> is on this group: power cut, on site" in group["html"]
    assert "Release the group" in group["html"]
    assert {c.device_id for c in Claim.objects.all()} == {d.id for d in devices}
    assert len({c.group_key for c in Claim.objects.all()}) == 1
    entry = AuditEntry.objects.get(action="claim_group")
    assert entry.organization_id == ORG_A and entry.parameters["devices"] == 4


def test_a_group_claim_ends_when_all_its_devices_have_stayed_up(
    client_of, operator, take_down, all_devices
):
    devices = up_devices(all_devices, ORG_A, count=3)
    take_down(devices)
    client_of(operator).post(f"/triage/groups/{devices[0].id}/claim/", {"note": "on it"})

    take_down(devices[:1], up=True)
    board_once_up_long_enough(operator)
    still = set(Claim.objects.values_list("device_id", flat=True))
    take_down(devices[1:], up=True)
    board_once_up_long_enough(operator)

    assert still == {d.id for d in devices[1:]}
    assert not Claim.objects.exists()


def test_a_group_claim_is_released_by_hand(client_of, operator, take_down, all_devices):
    devices = up_devices(all_devices, ORG_A, count=3)
    take_down(devices)
    client = client_of(operator)
    client.post(f"/triage/groups/{devices[0].id}/claim/", {"note": "on it"})

    response = client.post(f"/triage/groups/{devices[1].id}/release/")

    assert response.status_code == 302 and not Claim.objects.exists()
    assert AuditEntry.objects.filter(action="release_group_claim").count() == 1


def test_an_outsider_can_neither_claim_nor_release_another_organizations_group(
    client_of, operator, outsider, take_down, all_devices
):
    devices = up_devices(all_devices, ORG_A, count=3)
    take_down(devices)
    outside = client_of(outsider)

    claimed = outside.post(f"/triage/groups/{devices[0].id}/claim/", {"note": "mine"})
    client_of(operator).post(f"/triage/groups/{devices[0].id}/claim/", {"note": "ours"})
    released = client_of(outsider).post(f"/triage/groups/{devices[0].id}/release/")

    assert claimed.status_code == 404 and released.status_code == 404
    assert {c.note for c in Claim.objects.all()} == {"ours"}


def test_claiming_a_group_that_changed_claims_nothing_and_says_so(
    client_of, operator, take_down, all_devices
):
    devices = up_devices(all_devices, ORG_A, count=3)
    take_down(devices)
    take_down(devices, up=True)

    response = client_of(operator).post(
        f"/triage/groups/{devices[0].id}/claim/", {"note": "late"}, HTTP_HX_REQUEST="true"
    )

    assert "That group has changed" in response.content.decode()
    assert not Claim.objects.exists()


def test_down_devices_in_a_maintenance_window_leave_down_now_and_show_apart(
    client_of, noc, take_down, all_devices
):
    devices = up_devices(all_devices, ORG_A, count=4)
    take_down(devices)
    now = datetime.now(UTC)
    MaintenanceWindow.objects.create(
        organization_id=ORG_A, device_ids=[devices[0].id, devices[1].id],
        reason="replacing the rack switch", owner_name="noc",
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=2),
    )  # fmt: skip

    content = client_of(noc).get("/triage/").content.decode()

    assert down_count(content) == down_total(all_devices) - 2
    assert down_count(content, "maintenance-title") == 2
    assert set(section(content, "maintenance")) == {devices[0].id, devices[1].id}
    assert "in maintenance (replacing the rack switch, until" in content
    assert groups(content)[0]["size"] == 2
    assert set(groups(content)[0]["ids"]) == {devices[2].id, devices[3].id}


def test_a_window_of_another_organization_does_not_hide_our_devices(
    client_of, tenant_admin, take_down, all_devices
):
    devices = up_devices(all_devices, ORG_A, count=2)
    take_down(devices)
    now = datetime.now(UTC)
    MaintenanceWindow.objects.create(
        organization_id=ORG_OTHER, device_ids=[devices[0].id], reason="theirs",
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1),
    )  # fmt: skip

    content = client_of(tenant_admin).get("/triage/").content.decode()

    assert "Down in maintenance" not in content
    assert groups(content)[0]["size"] == 2


def test_one_list_is_a_click_away_and_kept_in_the_url(client_of, noc, take_down, all_devices):
    devices = up_devices(all_devices, ORG_A, count=3)
    take_down(devices)
    client = client_of(noc)

    grouped = client.get("/triage/").content.decode()
    flat = client.get("/triage/?view=list").content.decode()
    refreshed = client.get("/triage/?view=list", HTTP_HX_REQUEST="true").content.decode()

    assert 'href="/triage/?view=list"' in grouped
    assert groups(flat) == [] and set(section(flat, "down")[:3]) == {d.id for d in devices}
    assert 'hx-get="/triage/?view=list"' in refreshed and groups(refreshed) == []
    assert down_count(flat) == down_count(grouped) == down_total(all_devices)


def test_the_board_filtered_to_some_devices_shows_only_those(
    client_of, noc, take_down, all_devices
):
    devices = up_devices(all_devices, ORG_A, count=4)
    take_down(devices)
    wanted = sorted(d.id for d in devices[:2])
    link = f"/triage/?devices={wanted[0]},{wanted[1]}"

    content = client_of(noc).get(link).content.decode()

    (group,) = groups(content)
    assert sorted(group["ids"]) == wanted and down_count(content) == 2
    assert section(content, "down") == []
    assert "Showing only devices" in content
    # Its refresh and its forms keep the filter.
    assert f'hx-get="/triage/?devices={wanted[0]}%2C{wanted[1]}"' in content


def test_the_board_filtered_to_an_organization_and_type(client_of, noc, take_down, all_devices):
    same_type = up_devices(all_devices, ORG_A, type_id=21, count=3)
    other = next(d for d in up_devices(all_devices, ORG_A, count=20) if d.type != 21)
    take_down([*same_type, other])

    content = client_of(noc).get(f"/triage/?organization={ORG_A}&type=21").content.decode()

    shown = {i for g in groups(content) for i in g["ids"]} | set(section(content, "down"))
    assert {d.id for d in same_type} <= shown and other.id not in shown
    assert all(d.organization_id == ORG_A and d.type == 21
               for d in all_devices() if d.id in shown)  # fmt: skip


def test_a_filter_on_another_organization_is_left_out_said_and_never_named(
    client_of, tenant_admin, take_down, all_devices
):
    """Before, the board said "Showing only organization Test organization 11 (#11)", the
    other tenant's name, over an empty board: "Nothing is Down. Good night."."""
    take_down(up_devices(all_devices, ORG_OTHER, count=2))
    mine = up_devices(all_devices, ORG_A, count=1)
    take_down(mine)

    response = client_of(tenant_admin).get(f"/triage/?organization={ORG_OTHER}&devices=x,1")
    content = response.content.decode()

    assert response.status_code == 200
    assert "not one of your organizations" in content
    assert "not device ids" in content
    assert f"Test organization {ORG_OTHER}" not in content
    assert "Showing only organization" not in content
    fleet = {d.id: d.organization_id for d in all_devices()}
    unfiltered = client_of(tenant_admin).get(f"/triage/?organization={ORG_OTHER}").content.decode()
    shown = {i for g in groups(unfiltered) for i in g["ids"]} | set(section(unfiltered, "down"))
    assert mine[0].id in shown and {fleet[i] for i in shown} == {ORG_A}


def test_a_claim_from_a_filtered_board_comes_back_to_the_same_board(
    client_of, operator, take_down, all_devices
):
    devices = up_devices(all_devices, ORG_A, count=3)
    take_down(devices)

    response = client_of(operator).post(
        f"/triage/groups/{devices[0].id}/claim/?view=list&organization={ORG_A}", {"note": "x"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/triage/?view=list&organization={ORG_A}"


def test_a_noc_claim_on_a_mixed_group_is_seen_and_released_by_a_tenant_for_their_part_only(
    client_of, noc, tenant_admin, take_down, all_devices
):
    ours = up_devices(all_devices, ORG_A, count=2)
    theirs = up_devices(all_devices, ORG_OTHER, count=3)
    take_down([*ours, *theirs])
    first = groups(client_of(noc).get("/triage/").content.decode())[0]["anchor"]
    client_of(noc).post(f"/triage/groups/{first}/claim/", {"note": "upstream outage"})

    tenant = client_of(tenant_admin)
    content = tenant.get("/triage/").content.decode()
    released = tenant.post(f"/triage/groups/{ours[0].id}/release/")

    assert "noc</strong> is on this group: upstream outage" in groups(content)[0]["html"]
    assert released.status_code == 302
    assert set(Claim.objects.values_list("device_id", flat=True)) == {d.id for d in theirs}
    assert set(AuditEntry.objects.filter(action="release_group_claim").values_list(
        "organization_id", flat=True)) == {ORG_A}  # fmt: skip


def test_a_group_names_its_profile_with_the_health_verdict(
    client_of, noc, take_down, all_devices, polled, model, api_factory
):
    # Profile 12 of the simulator is healthy until its connectivity is reported unreachable;
    # its last sync still succeeded, so its last check alone would not say it fails.
    polled.profile_fields(12, health_status={"connectivity": "unreachable"})
    polling.poll_profiles(model=model, api_factory=api_factory)
    name = next(p.name for p in model.read_profiles().items if p.id == 12)
    take_down(up_devices(all_devices, ORG_A, type_id=12, count=4))

    content = client_of(noc).get("/triage/").content.decode()

    (group,) = groups(content)
    assert f"connection profile {name}: failing" in group["summary"]
    assert "last check" not in group["summary"]


def test_a_group_never_names_a_profile_its_viewer_may_not_open(
    client_of, noc, tenant_admin, take_down, all_devices, polled, model, api_factory
):
    """A tenant's group named another organization's profile and its health ("connection
    profile Rural Tower Registry 15: degraded") while /profiles/15/ answered it 404."""
    up = Counter(d.type for d in all_devices() if d.is_up and d.organization_id == ORG_A)
    theirs, mine = [t for t, n in up.most_common() if n >= 3][:2]
    polled.profile_fields(theirs, organization="Another organization entirely")
    polled.profile_fields(mine, organization=Organization.objects.get(upstream_id=ORG_A).name)
    polling.poll_profiles(model=model, api_factory=api_factory)
    names = {p.id: p.name for p in model.read_profiles().items}

    def summaries(user) -> str:
        board = client_of(user).get("/triage/").content.decode()
        return " ".join(g["summary"] for g in groups(board))

    down = up_devices(all_devices, ORG_A, type_id=theirs, count=3)
    take_down(down)
    tenant, staff = summaries(tenant_admin), summaries(noc)
    take_down(down, up=True)
    take_down(up_devices(all_devices, ORG_A, type_id=mine, count=3))

    assert "type" in tenant and f"connection profile {names[theirs]}" not in tenant
    assert f"connection profile {names[theirs]}" in staff
    assert f"connection profile {names[mine]}" in summaries(tenant_admin)
    assert client_of(tenant_admin).get(f"/profiles/{theirs}/").status_code == 404


def test_a_second_person_claiming_a_claimed_group_is_told_and_takes_nothing(
    client_of, operator, tenant_admin, take_down, all_devices
):
    devices = up_devices(all_devices, ORG_A, count=3)
    take_down(devices)
    client_of(operator).post(f"/triage/groups/{devices[0].id}/claim/", {"note": "on site"})

    # Both boards showed the group unclaimed: the second "I'm on it" arrives after the first.
    response = client_of(tenant_admin).post(
        f"/triage/groups/{devices[0].id}/claim/", {"note": "me too"}, HTTP_HX_REQUEST="true"
    )

    assert {(c.user, c.note) for c in Claim.objects.all()} == {(operator, "on site")}
    assert "already claimed by operator" in response.content.decode()
    assert AuditEntry.objects.filter(action="claim_group").count() == 1


def test_a_group_claim_leaves_another_persons_claim_on_one_of_its_devices(
    client_of, operator, tenant_admin, take_down, all_devices
):
    devices = up_devices(all_devices, ORG_A, count=3)
    take_down(devices)
    client_of(operator).post(f"/triage/{devices[1].id}/claim/", {"note": "this one is mine"})

    response = client_of(tenant_admin).post(
        f"/triage/groups/{devices[0].id}/claim/", {"note": "the rest"}, HTTP_HX_REQUEST="true"
    )

    claims = {c.device_id: (c.user, c.note) for c in Claim.objects.all()}
    assert claims[devices[1].id] == (operator, "this one is mine")
    assert {claims[d.id] for d in (devices[0], devices[2])} == {(tenant_admin, "the rest")}
    assert "Claimed 2 of the group's 3 devices" in html.unescape(response.content.decode())


def test_releasing_a_group_claim_already_gone_says_so(
    client_of, operator, tenant_admin, take_down, all_devices
):
    devices = up_devices(all_devices, ORG_A, count=3)
    take_down(devices)
    client_of(operator).post(f"/triage/groups/{devices[0].id}/claim/", {"note": "on it"})
    client_of(tenant_admin).post(f"/triage/groups/{devices[0].id}/release/")

    # The operator's board still shows the group's claim.
    response = client_of(operator).post(
        f"/triage/groups/{devices[0].id}/release/", HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert "There was no claim to release" in response.content.decode()
    assert AuditEntry.objects.filter(action="release_group_claim").count() == 1


@pytest.mark.skipif(
    connections["default"].vendor == "sqlite",
    reason="the in-memory test database of SQLite takes no two writers at once",
)
@pytest.mark.django_db(transaction=True)
def test_two_people_claiming_the_same_group_at_once_leave_it_to_one_and_tell_the_other(
    operator, tenant_admin, take_down, all_devices
):
    devices = up_devices(all_devices, ORG_A, count=4)
    take_down(devices)
    clients = []
    for user in (operator, tenant_admin):
        clients.append(Client())
        clients[-1].force_login(user)
    together = threading.Barrier(2)

    def claim(client):
        together.wait()
        try:
            return client.post(
                f"/triage/groups/{devices[0].id}/claim/", {"note": "mine"}, HTTP_HX_REQUEST="true"
            ).content.decode()
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        said = list(pool.map(claim, clients))

    holders = {c.user_id for c in Claim.objects.all()}
    assert len(holders) == 1 and Claim.objects.count() == 4
    assert sum("That group is already claimed by" in text for text in said) == 1
    assert AuditEntry.objects.filter(action="claim_group").count() == 1


def test_a_group_note_with_a_nul_character_still_claims(
    client_of, operator, take_down, all_devices
):
    devices = up_devices(all_devices, ORG_A, count=3)
    take_down(devices)

    response = client_of(operator).post(
        f"/triage/groups/{devices[0].id}/claim/", {"note": "power\x00 cut"}
    )

    assert response.status_code == 302
    assert {c.note for c in Claim.objects.all()} == {"power cut"}


def test_a_group_claim_on_less_than_half_of_a_grown_group_does_not_head_it(
    client_of, operator, noc, take_down, all_devices
):
    """Before, one claimed device of eleven headed the group "operator is on this group",
    with "Release the group", while ten went unclaimed."""
    devices = up_devices(all_devices, ORG_A, count=11)
    take_down(devices[:3])
    client_of(operator).post(f"/triage/groups/{devices[0].id}/claim/", {"note": "on it"})
    take_down(devices[3:])

    (group,) = groups(client_of(noc).get("/triage/").content.decode())

    assert group["size"] == 11
    assert "is on this group" not in group["html"]
    assert "I'm on it (all 11)" in group["html"]
    assert Claim.objects.filter(user=operator).count() == 3  # kept, on their devices
