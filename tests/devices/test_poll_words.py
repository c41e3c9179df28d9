"""A failed poll says why in sentences: the upstream's words, then what the dashboard did."""

import pytest

from fleet import polling


def test_an_outage_reads_as_two_sentences(model, api_factory, poll_config, still_fleet):
    still_fleet.set_faults(outage_seconds=60)

    with pytest.raises(polling.PollFailed) as failure:
        polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")

    reason = model.poll_health(polling.FLEET).last_error
    assert reason == str(failure.value)
    assert ".;" not in reason
    assert reason.endswith("(outage). The previous snapshot is kept.")


def test_a_profile_poll_in_an_outage_reads_as_two_sentences(model, api_factory, still_fleet):
    still_fleet.set_faults(outage_seconds=60)

    with pytest.raises(polling.PollFailed) as failure:
        polling.poll_profiles(model=model, api_factory=api_factory)

    assert str(failure.value).endswith("(outage). The previous profile snapshot is kept.")
