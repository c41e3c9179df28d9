"""The freshness banner: quiet while the data is fresh, a warning when it is old."""

from datetime import UTC, datetime, timedelta

import pytest

from devices import fleet_health
from fleet import freshness, polling


@pytest.fixture
def polled(model, api_factory, poll_config, still_fleet, cache_settings):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    return still_fleet


def test_fresh_data_shows_no_banner(polled):
    assert fleet_health.fleet_banner() is None


def test_data_older_than_three_intervals_turns_the_banner_into_a_warning(polled):
    later = datetime.now(UTC) + timedelta(minutes=5)

    banner = fleet_health.fleet_banner(now=later)

    assert banner.level == "warning"
    assert banner.message.startswith("Fleet data is 5 minutes old")
    assert "No poll has run since" in banner.message


def test_data_just_under_three_intervals_old_shows_no_banner(polled, model):
    as_of = model.snapshot_info().as_of

    assert fleet_health.fleet_banner(now=as_of + timedelta(seconds=3 * 30 - 1)) is None


def test_a_warning_names_the_failure_that_keeps_the_data_old(
    polled, model, api_factory, poll_config
):
    polled.set_faults(error_rate=1.0, error_status=[502])
    with pytest.raises(polling.PollFailed):
        polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")

    banner = fleet_health.fleet_banner(now=datetime.now(UTC) + timedelta(minutes=10))

    assert banner.level == "warning"
    assert "The last poll failed" in banner.message and "502" in banner.message


def test_before_the_first_poll_the_banner_says_data_is_loading(cache_settings):
    banner = fleet_health.fleet_banner()

    assert banner.level == "info" and "loading" in banner.message


def test_without_redis_the_banner_says_degraded(redis_down):
    banner = fleet_health.fleet_banner()

    assert banner.level == "error" and banner.message.startswith("Degraded")
    assert banner.as_dict() == {"level": "error", "message": banner.message}


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0, "0 seconds"), (1, "1 second"), (5, "5 seconds"), (89, "89 seconds"),
     (600, "10 minutes"), (7200, "2 hours"), (3 * 86400, "3 days")],
)  # fmt: skip
def test_ages_read_as_words(seconds, words):
    assert freshness.describe_age(timedelta(seconds=seconds)) == words
