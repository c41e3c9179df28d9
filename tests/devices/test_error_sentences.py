"""The control API's errors inside the dashboard's own sentences: each ends with one full stop
before the next sentence begins, whether the upstream's text ended with one or not."""

import re

import pytest

from controlapi import errors


def test_an_error_reads_as_one_sentence_with_or_without_the_upstreams_full_stop():
    bare = errors.UpstreamError("GET", "/inventory_device/", 502)
    dotted = errors.error_from_response(
        "GET", "/inventory_device/", 503, {"detail": "Service temporarily unavailable (outage)."}
    )

    assert errors.as_sentence(bare) == (
        "The control API failed on its side (502) for GET /inventory_device/."
    )
    assert errors.as_sentence(dotted).endswith("(outage).")


def sentences_run_together(text: str) -> list[str]:
    """Places where a sentence starts right after a word or a path, with no full stop."""
    return re.findall(r"[\w/)] (?:Try again|The board comes back)", text)


def test_the_device_list_without_redis_or_upstream_says_it_in_sentences(
    client_of, noc, redis_down, upstream_down
):
    content = client_of(noc).get("/devices/").content.decode()

    assert "could not be read either" in content
    assert sentences_run_together(content) == []


def test_the_triage_board_without_redis_or_upstream_says_it_in_sentences(
    client_of, noc, redis_down, upstream_down
):
    content = client_of(noc).get("/triage/").content.decode()

    assert "could not be read either" in content
    assert sentences_run_together(content) == []


def test_an_unreadable_device_says_it_in_sentences(client_of, noc, redis_down, upstream_down):
    response = client_of(noc).get("/devices/1001/")

    content = response.content.decode()
    assert response.status_code == 503
    assert "could not be read either" in content
    assert ".)." not in content and sentences_run_together(content) == []


@pytest.mark.parametrize(
    "page",
    [
        "/devices/1001/edit/",
        "/devices/1001/edit/form/",
        "/devices/1001/delete/",
        "/devices/1001/maintenance/",
        "/devices/1001/freshness/",
    ],
)
def test_a_device_page_that_cannot_read_its_device_says_why_instead_of_failing(
    client_of, noc, redis_down, upstream_down, page
):
    # No copy in any cache and the control API unreachable: the page cannot tell whether
    # the device exists, and says so in words.
    response = client_of(noc).get(page)

    assert response.status_code == 503
    content = response.content.decode()
    assert "could not be read either" in content
    assert sentences_run_together(content) == []


def test_a_device_the_upstream_cannot_give_says_so_once(client_of, noc, upstream_down):
    # Redis answers, the device is in no cache, the control API is unreachable: one
    # sentence says the device could not be read, not the page and then the error again.
    response = client_of(noc).get("/devices/424242/")

    content = response.content.decode().lower()
    assert response.status_code == 503
    assert content.count("could not read") + content.count("could not be read") == 1
