"""The wall screen and its panels' fragments: what each role and tenant sees, the corner's
age and alarm, and Redis down."""

import pytest

from devices import history_selectors
from fleet import polling
from tests.fixtures.users import ORG_A, ORG_B, ORG_OTHER

PANELS = ("overview", "triage", "profiles")
REFRESH = {"HTTP_HX_REQUEST": "true"}


def orgs_shown(content: str) -> set[int]:
    return {org for org in (ORG_A, ORG_B, ORG_OTHER) if f'data-org="{org}"' in content}


def test_the_wall_needs_a_login(client, db):
    response = client.get("/wall/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_wall_is_full_screen_dark_and_without_navigation(client_of, noc, polled):
    content = client_of(noc).get("/wall/").content.decode()

    assert '<html lang="en" data-theme="dark">' in content
    assert 'class="mainnav"' not in content and "Log out" not in content
    for key in PANELS:
        assert f'hx-get="/wall/panels/{key}/"' in content
    assert 'data-wall-rotate="30"' in content
    assert 'hx-get="/wall/status/"' in content


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("display", {ORG_A, ORG_B, ORG_OTHER}),
        ("tenant_display", {ORG_A}),
        ("viewer", {ORG_A, ORG_B}),
        ("outsider", {ORG_OTHER}),
    ],
)
def test_the_overview_panel_shows_only_the_users_organizations(
    client_of, polled, all_devices, request, user, expected
):
    response = client_of(request.getfixturevalue(user)).get("/wall/panels/overview/", **REFRESH)

    content = response.content.decode()
    assert response.status_code == 200
    assert orgs_shown(content) == expected
    down = sum(not d.is_up for d in all_devices() if d.organization_id == min(expected))
    rows = {row["organization"].upstream_id: row for row in response.context["panel"]["rows"]}
    assert rows[min(expected)]["down"] == down


def test_the_triage_panel_lists_only_the_users_down_devices(
    client_of, tenant_display, polled, all_devices
):
    response = client_of(tenant_display).get("/wall/panels/triage/", **REFRESH)

    board = response.context["panel"]["board"]
    down = {d.id for d in all_devices() if not d.is_up and d.organization_id == ORG_A}
    assert board.down_total == len(down)
    assert {row.device.id for row in response.context["panel"]["rows"]} <= down
    content = response.content.decode()
    assert f"{len(down)}</span> Down now" in content
    # No claim, refresh or reboot on a wall: it only shows.
    assert "<form" not in content and "<button" not in content


def test_an_outsiders_triage_panel_shows_no_device_of_another_organization(
    client_of, outsider, polled, all_devices
):
    response = client_of(outsider).get("/wall/panels/triage/", **REFRESH)

    theirs = {d.id for d in all_devices() if d.organization_id == ORG_OTHER}
    shown = {row.device.id for row in response.context["panel"]["rows"]}
    assert shown and shown <= theirs


def test_the_profiles_panel_reads_the_profile_health(client_of, viewer, polled):
    response = client_of(viewer).get("/wall/panels/profiles/", **REFRESH)

    assert response.status_code == 200
    assert "Connection profiles" in response.content.decode()


def test_an_unknown_panel_is_not_found(client_of, viewer, db):
    assert client_of(viewer).get("/wall/panels/nothing/").status_code == 404


def test_the_corner_says_the_datas_age_and_no_alarm_while_fresh(client_of, display, polled):
    response = client_of(display).get("/wall/status/", **REFRESH)

    content = response.content.decode()
    assert 'data-alarm="off"' in content
    assert "Data " in content and " old" in content
    assert "wall-edge" not in content


def test_stale_data_turns_the_edge_red_and_says_why(client_of, display, polled, settings):
    # Polls due every millisecond: the data polled above is three intervals old at once.
    settings.POLL_INTERVAL_SECONDS = 0.001

    content = client_of(display).get("/wall/status/", **REFRESH).content.decode()

    assert 'data-alarm="on"' in content and 'class="wall-edge"' in content
    assert "Fleet data is" in content and "No poll has run since" in content


def test_a_failing_poller_turns_the_edge_red_and_says_its_error(
    client_of, display, polled, settings, model, api_factory, poll_config, sim_control
):
    settings.POLL_INTERVAL_SECONDS = 0.001
    sim_control.set_faults(error_rate=1.0)
    with pytest.raises(polling.PollFailed):
        polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")

    content = client_of(display).get("/wall/").content.decode()

    assert 'data-alarm="on"' in content
    assert "failed" in content


def test_before_the_first_poll_the_wall_says_so_without_alarm(client_of, display, cache_settings):
    content = client_of(display).get("/wall/").content.decode()

    assert "No fleet data yet" in content
    assert "first poll has not finished" in content
    assert 'data-alarm="off"' in content


def test_without_redis_every_panel_and_the_corner_say_so(client_of, display, redis_down):
    client = client_of(display)
    response = client.get("/wall/")
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-alarm="on"' in content
    assert "the fleet cache (Redis) is unreachable" in content
    for key in PANELS:
        fragment = client.get(f"/wall/panels/{key}/", **REFRESH)
        assert fragment.status_code == 200
        # Down now reads the control API instead, and says what it cannot do without the cache.
        assert "cache" in fragment.content.decode()


def test_without_redis_and_upstream_the_panels_still_answer(
    client_of, display, redis_down, upstream_down
):
    client = client_of(display)
    assert client.get("/wall/").status_code == 200
    for key in PANELS:
        assert client.get(f"/wall/panels/{key}/", **REFRESH).status_code == 200


def counted_calls(monkeypatch, name: str) -> list:
    """The calls of history_selectors.`name` from now on (each still answered as before)."""
    calls = []
    original = getattr(history_selectors, name)
    monkeypatch.setattr(history_selectors, name, lambda **kw: calls.append(kw) or original(**kw))
    return calls


def test_the_overview_panel_reads_no_chart_history(client_of, noc, polled, monkeypatch):
    # Counting reads: the panel refreshes every few seconds on every wall, and shows no chart.
    reads = counted_calls(monkeypatch, "org_counts_series")
    client = client_of(noc)

    panel = client.get("/wall/panels/overview/", **REFRESH)
    assert panel.status_code == 200 and reads == []
    assert client.get("/").status_code == 200 and len(reads) == 2  # the overview's two charts


def test_the_down_now_panel_reads_no_flapping_history(client_of, noc, polled, monkeypatch):
    # Counting reads: the panel shows Down devices only, not the board's flapping and stuck lists.
    reads = counted_calls(monkeypatch, "flapping_devices")
    client = client_of(noc)

    panel = client.get("/wall/panels/triage/", **REFRESH)
    assert panel.status_code == 200 and reads == []
    assert client.get("/triage/").status_code == 200 and len(reads) == 1
