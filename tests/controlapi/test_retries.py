"""The retry policy's arithmetic and Retry-After parsing (pure, no I/O)."""

from datetime import UTC, datetime

import pytest

from controlapi.retries import RetryPolicy, parse_retry_after

NOW = datetime(2024, 1, 15, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("5", 5.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("Mon, 15 Jan 2024 10:00:30 GMT", 30.0),
        ("Mon, 15 Jan 2024 09:59:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_in_seconds_or_as_an_http_date(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds


def test_backoff_is_full_jitter_within_the_doubling_bound():
    policy = RetryPolicy(max_retries=5, backoff=0.5, max_retry_time=100)
    for retry in range(5):
        waits = [policy.delay(retry, elapsed=0) for _ in range(200)]
        assert all(0 <= wait <= 0.5 * 2**retry for wait in waits)
        assert max(waits) > 0.5 * 2**retry / 2  # spread over the range, not a constant


def test_no_retry_after_the_last_one():
    policy = RetryPolicy(max_retries=2)
    assert policy.delay(1, elapsed=0) is not None
    assert policy.delay(2, elapsed=0) is None


def test_retry_after_replaces_the_computed_delay():
    assert RetryPolicy().delay(0, elapsed=0, retry_after=2.0) == 2.0


def test_no_retry_that_would_end_past_the_time_budget():
    policy = RetryPolicy(max_retries=10, max_retry_time=5)
    assert policy.delay(0, elapsed=1, retry_after=3.0) == 3.0
    assert policy.delay(0, elapsed=1, retry_after=10.0) is None
    assert policy.delay(0, elapsed=6) is None
