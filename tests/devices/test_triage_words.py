"""The triage board's words for its own settings."""


def test_the_pending_threshold_reads_as_words_not_a_clock(client_of, noc, polled, settings):
    """Before: "Pending for more than 1:30:00 since the dashboard first saw them"."""
    settings.TRIAGE_PENDING_MINUTES = 90

    page = client_of(noc).get("/triage/").content.decode()

    assert "Pending for more than 1\xa0hour, 30\xa0minutes since the dashboard" in page
    assert "1:30:00" not in page
