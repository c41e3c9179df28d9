"""Each failed poll is counted under one reason, for metrics and alerts."""

import pytest
import redis

from controlapi import errors
from fleet import polling
from fleet.poll_failures import failure_kind


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (errors.Unauthorized("GET", "/x/", 401), "token_refused"),
        (errors.Forbidden("GET", "/x/", 403), "forbidden"),
        (errors.RateLimited("GET", "/x/", 429), "rate_limited"),
        (errors.UpstreamError("GET", "/x/", 502), "upstream_error"),
        (errors.Unavailable("GET", "/x/"), "upstream_unreachable"),
        (errors.BadResponse("GET", "/x/", 200), "bad_response"),
        (ValueError("not a device list"), "bad_response"),
        (errors.Conflict("GET", "/x/", 409), "upstream_refused"),
        (polling.LockLost("lost"), "lock_lost"),
        (redis.ConnectionError("gone"), "redis"),
        (type("SoftTimeLimitExceeded", (Exception,), {})(), "time_limit"),
        (RuntimeError("?"), "other"),
    ],
)
def test_each_failure_has_its_reason(error, kind):
    assert failure_kind(error) == kind


def test_a_failed_poll_is_counted_under_its_reason(model, api_factory, poll_config, sim_control):
    sim_control.set_faults(error_rate=1.0, error_status=[502])

    with pytest.raises(polling.PollFailed):
        polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config)
    sim_control.clear_faults()
    with pytest.raises(polling.PollFailed):
        polling.poll_fleet(model=model, api_factory=lambda: api_factory("wrong-token"),
                           config=poll_config)  # fmt: skip

    assert model.poll_failure_kinds(polling.FLEET) == {"upstream_error": 1, "token_refused": 1}
