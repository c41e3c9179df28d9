"""The profile pages in words: health reasons and thresholds as a NOC engineer writes them."""

from common import profile_health as health
from tests.profiles.shapes import NOW, newer


def detail(client, profile):
    return client.get(f"/profiles/{profile.id}/").content.decode()


def test_a_failed_connection_test_says_the_test_failed(polled, client_of, noc):
    profile = next(p for p in polled.items if p.shape == "v1" and p.test_status == "failure")

    content = detail(client_of(noc), profile)

    assert "The connection test failed" in content
    assert "Connection test is failure" not in content


def test_a_failed_sync_says_the_last_sync_failed(polled, client_of, noc):
    profile = next(p for p in polled.items if p.shape == "v2" and p.last_sync_status == "failed")

    content = detail(client_of(noc), profile)

    assert "The last sync failed" in content
    assert "Last sync result is failed" not in content


def test_the_thresholds_name_the_words_they_read(polled, client_of, noc):
    profile = next(p for p in polled.items if p.shape == "v2")

    content = detail(client_of(noc), profile)

    assert "healthy is healthy" not in content
    assert "Healthy when reported as “healthy”, “ok” or “connected”" in content


def test_the_record_format_is_said_in_a_sentence(polled, client_of, noc):
    newer = next(p for p in polled.items if p.shape == "v2")
    older = next(p for p in polled.items if p.shape == "v1")
    client = client_of(noc)

    newer_page, older_page = detail(client, newer), detail(client, older)

    assert "Record shape" not in newer_page and "newer (sync and health)" not in newer_page
    assert "The control API sends this profile in its newer format" in newer_page
    assert "The control API sends this profile in its older format" in older_page


def test_the_time_thresholds_read_as_sentences(polled, client_of, noc):
    newer = next(p for p in polled.items if p.shape == "v2" and p.sync_frequency == "hourly")
    older = next(p for p in polled.items if p.shape == "v1")
    client = client_of(noc)

    newer_page, older_page = detail(client, newer), detail(client, older)

    assert "overdue after" not in newer_page
    assert "Degraded when not synced for over 2 h (2 × “hourly”)" in newer_page
    assert "stale after" not in older_page
    assert "Degraded when not tested for over 7 days" in older_page


def test_an_unknown_sync_frequency_is_quoted_in_a_sentence():
    judgement = health.judge(newer(sync_frequency="on_demand"), NOW)

    threshold = next(s.threshold for s in judgement.signals if s.name == "Last sync")
    assert threshold == "No period known for the sync frequency “on_demand”"
