"""Pages behind login: /healthz/auth (the page benchmark's floor), and parts refreshing after
the session ended."""

import pytest


def test_the_logged_in_health_check_sends_strangers_to_the_login_page(client, db):
    response = client.get("/healthz/auth")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/healthz/auth"


def test_the_logged_in_health_check_answers_a_user(client_of, viewer):
    response = client_of(viewer).get("/healthz/auth")

    assert response.status_code == 200
    assert response.content == b"ok\n"


@pytest.mark.parametrize("path", ["/", "/devices/", "/triage/", "/devices/1001/"])
def test_a_refreshing_part_whose_session_ended_reloads_its_page(client, path):
    """A part's refresh (htmx) after logout reloads the page, which then goes to the login form;
    the login form is never swapped into the middle of a page."""
    refresh = client.get(path, HTTP_HX_REQUEST="true")
    assert refresh.status_code == 200
    assert refresh["HX-Refresh"] == "true"
    assert b"Log in" not in refresh.content
    assert client.get(path).status_code == 302  # a plain request still goes to the login form
