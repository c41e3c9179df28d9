"""The overview's fleet parts: counts per organization, charts from history, poller health."""

import pytest

from fleet import polling
from tests.fixtures.users import ORG_A, ORG_B, ORG_OTHER


@pytest.fixture
def polled(model, api_factory, poll_config, still_fleet, cache_settings):
    for _ in range(2):  # two points of history
        polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    return still_fleet


def test_counts_per_organization_match_the_simulator(client_of, viewer, polled, all_devices):
    fleet = all_devices()

    rows = client_of(viewer).get("/").context["rows"]

    for row in rows:
        org = row["organization"].upstream_id
        assert row["up"] == sum(d.is_up for d in fleet if d.organization_id == org)
        assert row["down"] == sum(not d.is_up for d in fleet if d.organization_id == org)
    assert {r["organization"].upstream_id for r in rows} == {ORG_A, ORG_B}


def test_a_tenant_sees_no_other_organizations_counts(client_of, operator, polled):
    response = client_of(operator).get("/")

    assert set(response.context["fleet"].counts) == {ORG_A}
    assert f'data-org="{ORG_OTHER}"' not in response.content.decode()


def test_charts_are_drawn_in_svg_from_the_history(client_of, noc, polled):
    content = client_of(noc).get("/").content.decode()

    assert content.count('<svg class="status-chart"') == 2
    assert 'class="chart-down" points="' in content


def test_poller_health_is_shown(client_of, noc, polled):
    content = client_of(noc).get("/").content.decode()

    assert "Fleet poll" in content and "last success" in content


def test_without_redis_the_overview_still_answers_and_says_why(client_of, noc, redis_down):
    response = client_of(noc).get("/")

    assert response.status_code == 200
    assert "Redis" in response.content.decode()


# The wall screen's refresh (htmx): the parts and the banner, never the whole page.
REFRESH = {"HTTP_HX_REQUEST": "true"}


def test_a_refresh_sends_the_parts_and_the_banner_out_of_band(client_of, noc, polled):
    response = client_of(noc).get("/", {"organization": ""}, **REFRESH)

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<div id="overview-parts"')
    assert '<div id="fleet-banner" hx-swap-oob="true">' in content
    assert "<html" not in content and "org-switcher" not in content
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_a_refresh_without_redis_answers_with_the_degraded_banner(client_of, noc, redis_down):
    response = client_of(noc).get("/", {"organization": ""}, **REFRESH)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Degraded: the fleet cache (Redis) is unreachable" in content
    assert "Counts and charts need the fleet cache (Redis)" in content


def test_a_refresh_keeps_the_organization_its_page_showed(client_of, viewer, polled):
    client = client_of(viewer)
    client.post("/organization/", {"organization": ORG_B})  # another tab switched

    response = client.get("/", {"organization": ORG_A}, **REFRESH)

    assert [r["organization"].upstream_id for r in response.context["rows"]] == [ORG_A]
    assert set(response.context["fleet"].counts) == {ORG_A}


def test_a_refresh_asking_for_someone_elses_organization_shows_only_ones_own(
    client_of, operator, polled
):
    response = client_of(operator).get("/", {"organization": ORG_OTHER}, **REFRESH)

    assert response.status_code == 200
    assert set(response.context["fleet"].counts) == {ORG_A}
    assert f'data-org="{ORG_OTHER}"' not in response.content.decode()


def test_before_the_first_poll_the_counts_are_unknown_not_zero(client_of, noc, cache_settings):
    response = client_of(noc).get("/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "Counts and charts appear when the first fleet poll has finished." in content
    assert all(row["up"] is None and row["down"] is None for row in response.context["rows"])
    assert "no devices" not in content and "No organization has a device Down" not in content


def test_a_refresh_after_the_session_ended_reloads_the_page(client):
    refresh = client.get("/", {"organization": ""}, **REFRESH)
    page = client.get("/")

    assert refresh["HX-Refresh"] == "true" and b"Log in" not in refresh.content
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]
