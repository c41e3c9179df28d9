"""Fixtures of the device pages' tests that more than one module uses."""

import pytest

from fleet import polling


@pytest.fixture
def poll(model, api_factory, poll_config, cache_settings):
    """A full fleet poll into the test's read model, as the worker runs it."""

    def run():
        polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")

    return run


@pytest.fixture
def polled(poll, still_fleet):
    """The simulator holding still, polled once; set statuses on it and `poll` again."""
    poll()
    return still_fleet
