"""The health rules at their thresholds, one behaviour each (common.profile_health)."""

from datetime import timedelta

import pytest

from common import profile_health as health
from controlapi.records import Profile
from tests.profiles.shapes import NOW, newer, older


def signal(judgement, name):
    return next(s for s in judgement.signals if s.name == name)


def test_a_profile_with_every_signal_good_is_healthy():
    assert health.judge(newer(), NOW).state == health.HEALTHY


@pytest.mark.parametrize(
    ("count", "state"),
    [(0, health.HEALTHY), (1, health.DEGRADED), (24, health.DEGRADED), (25, health.FAILING)],
)
def test_error_count_thresholds(count, state):
    judgement = health.judge(newer(health_status={"error_count_24h": count}), NOW)
    assert signal(judgement, "Errors in 24 h").state == state
    assert judgement.state == state


@pytest.mark.parametrize(
    ("word", "state"),
    [
        ("healthy", health.HEALTHY),
        ("degraded", health.DEGRADED),
        ("unreachable", health.FAILING),
        ("Down", health.FAILING),
        ("flickering", health.DEGRADED),
    ],
)
def test_connectivity_words(word, state):
    judgement = health.judge(newer(health_status={"connectivity": word}), NOW)
    assert judgement.state == state


@pytest.mark.parametrize(
    ("word", "state"),
    [("valid", health.HEALTHY), ("expired", health.FAILING), ("expiring_soon", health.DEGRADED)],
)
def test_authentication_words(word, state):
    judgement = health.judge(newer(health_status={"authentication": word}), NOW)
    assert judgement.state == state


def test_a_reported_last_error_degrades():
    judgement = health.judge(newer(health_status={"last_error": "Timeout after 30s"}), NOW)
    assert judgement.state == health.DEGRADED
    assert "Last error: Timeout after 30s" in judgement.reasons


@pytest.mark.parametrize(
    ("word", "state"),
    [("success", health.HEALTHY), ("partial", health.DEGRADED), ("failed", health.FAILING)],
)
def test_last_sync_status(word, state):
    assert health.judge(newer(last_sync_status=word), NOW).state == state


def test_a_sync_exactly_two_periods_old_is_on_time():
    profile = newer(last_sync=(NOW - timedelta(hours=2)).isoformat())
    assert signal(health.judge(profile, NOW), "Last sync").state == health.HEALTHY


def test_a_sync_just_over_two_periods_old_is_overdue():
    profile = newer(last_sync=(NOW - timedelta(hours=2, seconds=1)).isoformat())
    judgement = health.judge(profile, NOW)
    assert signal(judgement, "Last sync").state == health.DEGRADED
    assert judgement.state == health.DEGRADED


def test_an_unknown_sync_frequency_gives_no_overdue_judgement_and_says_so():
    profile = newer(sync_frequency="on_demand", last_sync=(NOW - timedelta(days=90)).isoformat())
    judgement = health.judge(profile, NOW)
    last_sync = signal(judgement, "Last sync")
    assert last_sync.state == health.UNKNOWN
    assert "cannot tell whether a sync is overdue" in last_sync.reason
    assert judgement.state == health.HEALTHY  # the other signals still judge it


@pytest.mark.parametrize(
    ("word", "period"),
    [
        ("hourly", timedelta(hours=1)),
        ("daily", timedelta(days=1)),
        ("weekly", timedelta(weeks=1)),
        ("Monthly", timedelta(days=30)),
        ("every_15_minutes", timedelta(minutes=15)),
        ("every 2 hours", timedelta(hours=2)),
        ("every_day", timedelta(days=1)),
        ("realtime", None),
        ("every_0_minutes", None),
        (None, None),
    ],
)
def test_sync_frequency_words_map_to_periods(word, period):
    assert health.sync_period(word) == period


def test_an_older_profile_whose_test_failed_is_failing():
    assert health.judge(older(test_status="failure"), NOW).state == health.FAILING


def test_an_older_profile_tested_exactly_seven_days_ago_is_healthy():
    profile = older(last_tested=(NOW - timedelta(days=7)).isoformat())
    assert health.judge(profile, NOW).state == health.HEALTHY


def test_an_older_profile_untested_for_just_over_seven_days_is_degraded():
    profile = older(last_tested=(NOW - timedelta(days=7, seconds=1)).isoformat())
    judgement = health.judge(profile, NOW)
    assert judgement.state == health.DEGRADED
    assert judgement.reasons == ["Not tested for 7 days"]


def test_a_profile_without_any_signal_is_unknown():
    assert health.judge(Profile.from_api({"id": 3, "name": "bare"}), NOW).state == health.UNKNOWN


def test_an_older_list_item_without_test_data_is_unknown():
    profile = Profile.from_api({"id": 4, "name": "x", "connection_type": "api", "host": "h"})
    assert health.judge(profile, NOW).state == health.UNKNOWN


def test_the_worst_signal_decides():
    profile = newer(health_status={"error_count_24h": 3, "authentication": "expired"})
    assert health.judge(profile, NOW).state == health.FAILING


def test_a_password_in_the_last_error_url_is_masked():
    text = "cannot reach https://sync:hunter2@warehouse.example/v2"
    judgement = health.judge(newer(health_status={"last_error": text}), NOW)
    assert "hunter2" not in signal(judgement, "Last error").value


@pytest.mark.parametrize(
    ("age", "words"),
    [
        (timedelta(seconds=40), "40 s"),
        (timedelta(minutes=12), "12 min"),
        (timedelta(hours=3, minutes=5), "3 h 5 min"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=2, hours=4), "2 days 4 h"),
    ],
)
def test_ages_read_as_short_words(age, words):
    assert health.describe_age(age) == words
