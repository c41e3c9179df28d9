"""/healthz/auth: the page benchmark's floor, a trivial page behind login."""

from tests.users import client_of, viewer  # noqa: F401 -- fixtures, used by name


def test_the_logged_in_health_check_sends_strangers_to_the_login_page(client, db):
    response = client.get("/healthz/auth")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/healthz/auth"


def test_the_logged_in_health_check_answers_a_user(client_of, viewer):
    response = client_of(viewer).get("/healthz/auth")

    assert response.status_code == 200
    assert response.content == b"ok\n"
