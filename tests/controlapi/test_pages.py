"""Reading list answers and the links between pages (pure, no I/O)."""

import pytest

from controlapi.pages import page_from_payload

PRODUCTION = "https://control.zequenze.com/api/v1/inventory_device/"


def test_offsets_come_from_the_links_query_whatever_the_host():
    page = page_from_payload(
        {
            "count": 150,
            "next": PRODUCTION + "?limit=25&offset=50&organization=5",
            "previous": PRODUCTION + "?limit=25&offset=0",
            "results": [{"n": 1}],
        },
        dict,
    )
    assert (page.count, page.next_offset, page.previous_offset) == (150, 50, 0)
    assert page.has_next
    assert ("organization", "5") in page.next_query


def test_link_to_the_first_page_without_offset_means_offset_zero():
    page = page_from_payload(
        {"count": 3, "next": None, "previous": PRODUCTION + "?limit=2", "results": []}, dict
    )
    assert page.previous_offset == 0
    assert not page.has_next and page.next_offset is None


def test_list_without_links_or_count_is_one_page():
    page = page_from_payload({"results": [{"id": "txn_1"}, {"id": "txn_2"}]}, dict)
    assert page.count == 2 and not page.has_next and len(page) == 2


@pytest.mark.parametrize("payload", [[], {"count": 1}, {"results": "none"}, None])
def test_an_answer_without_a_results_list_is_refused(payload):
    with pytest.raises(ValueError):
        page_from_payload(payload, dict)
