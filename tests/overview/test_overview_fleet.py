"""The overview's fleet parts: counts per organization, charts from history, poller health."""

import html as html_lib
import re
from datetime import UTC, datetime, timedelta

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


def _poller_row(content: str, name: str) -> str:
    """The text of one poll's row in the Poller health panel, without its markup."""
    row = re.search(rf"<dt>{name} poll</dt>\s*<dd>(.*?)</dd>", content, re.S).group(1)
    text = re.sub(r"<[^>]+>", "", row.replace("<br>", " "))
    return " ".join(html_lib.unescape(text).split())


def test_an_error_before_the_last_success_says_when_and_that_polls_succeeded_since(
    client_of, noc, polled, model, api_factory, poll_config, settings
):
    """After an outage ended, the last error used to read as a current one, with no time."""
    settings.DISPLAY_TIME_ZONE = "UTC"
    polled.set_faults(outage_seconds=60)
    with pytest.raises(polling.PollFailed):
        polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config,
                           mode="incremental")  # fmt: skip
    failing = _poller_row(client_of(noc).get("/").content.decode(), "Fleet")
    polled.clear_faults()
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="incremental")

    row = _poller_row(client_of(noc).get("/").content.decode(), "Fleet")

    assert re.search(r"Last error, at \d\d:\d\d UTC \(\d+ seconds? ago\): .*\(outage\)", failing)
    assert "1 failure in a row" in failing and "before the last success" not in failing
    assert re.search(
        r"Last error, at \d\d:\d\d UTC \(\d+ seconds? ago\), before the last success: "
        r"The control API .* \(outage\)\.",
        row,
    )
    assert "failure in a row" not in row


def test_the_poller_and_the_banner_give_the_fleet_data_the_same_age(
    client_of, noc, polled, model, settings
):
    """During an outage the banner said "2 minutes old" and the poller "1 minute ago" of the
    same poll: one rounded 100 seconds, the other cut them."""
    settings.POLL_INTERVAL_SECONDS = 30  # older than 90 seconds: stale, the banner shows
    ago = datetime.now(UTC) - timedelta(seconds=100)
    model.client.hset(model.keys.current, "as_of", ago.timestamp())  # the last poll's start
    model.poll_succeeded(polling.FLEET, at=ago, duration=1.0, devices=300, pages=7,
                         mode=polling.INCREMENTAL)  # fmt: skip

    content = client_of(noc).get("/").content.decode()

    banner_age = re.search(r"Fleet data is (.+?) old", content).group(1)
    assert banner_age == "2 minutes"
    assert f"last success: started {banner_age} ago" in _poller_row(content, "Fleet")
