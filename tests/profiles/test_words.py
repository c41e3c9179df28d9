"""The profile pages in words: health reasons and thresholds as a NOC engineer writes them."""


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
