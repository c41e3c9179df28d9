"""The site's own error pages (404, 403, 400, 500) with DEBUG off: they say in words what
happened and link back to the overview, and a 404 is the same whether the thing asked for
does not exist or belongs to another tenant."""

import socket
from contextlib import contextmanager

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.test import RequestFactory
from django.urls import path

from config import urls as site_urls
from tests.fixtures.pages import without_csrf_tokens

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False


def test_an_unknown_device_and_another_tenants_device_show_the_same_not_found_page(
    cached_fleet, device_of_org, outsider, client_of
):
    client = client_of(outsider)
    theirs = client.get(f"/devices/{device_of_org(5).id}/")
    unknown = client.get("/devices/999999/")

    assert theirs.status_code == unknown.status_code == 404
    assert without_csrf_tokens(theirs.content) == without_csrf_tokens(unknown.content)
    page = theirs.content.decode()
    assert "Page not found" in page
    assert "does not exist or is not one you may see" in page
    assert 'href="/">Back to the overview' in page
    # Logged in: the navigation is kept.
    assert 'class="mainnav"' in page
    assert "Not Found</h1>" not in page


def test_an_unknown_address_says_so_without_the_navigation_when_logged_out(client):
    response = client.get("/no-such-page/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in page
    assert 'href="/">Back to the overview' in page
    assert 'class="mainnav"' not in page


def test_a_request_for_another_host_gets_the_sites_bad_request_page(client):
    response = client.get("/", HTTP_HOST="evil.example")

    page = response.content.decode()
    assert response.status_code == 400
    assert "Bad request" in page
    assert 'href="/">Back to the overview' in page


def refused(request):
    raise PermissionDenied("internal reason")


def broken(request):
    raise ZeroDivisionError


def unmigrated(request):
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")


handler500 = site_urls.handler500  # the site's own, as in production
urlpatterns = [
    path("refused/", refused),
    path("broken/", broken),
    path("unmigrated/", unmigrated),
    *site_urls.urlpatterns,
]


@pytest.mark.urls(__name__)
def test_a_refusal_gets_the_sites_forbidden_page_without_its_internal_reason(client_of, viewer):
    response = client_of(viewer).get("/refused/")

    page = response.content.decode()
    assert response.status_code == 403
    assert "Not allowed" in page
    assert "internal reason" not in page
    assert 'href="/">Back to the overview' in page


def test_the_server_error_page_stands_alone_without_the_database(django_assert_num_queries):
    from django.views.defaults import server_error

    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/"))

    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert 'href="/">Back to the overview' in page
    assert "/static/css/app.css" in page


@contextmanager
def database_unreachable():
    """The next query opens a new connection to a database that cannot be opened: a port
    where nothing listens (PostgreSQL) or a file in a missing folder (SQLite), as when the
    database server is down. The open connection is set aside, not closed, because closing
    the in-memory SQLite test database would lose it."""
    conn = connections["default"]
    kept_connection, kept_settings = conn.connection, dict(conn.settings_dict)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    conn.connection = None
    conn.settings_dict.update(
        {"HOST": "127.0.0.1", "PORT": closed_port}
        if conn.vendor == "postgresql"
        else {"NAME": "/no-such-folder/dashboard.sqlite3"}
    )
    try:
        yield
    finally:
        conn.connection = kept_connection
        conn.settings_dict.clear()
        conn.settings_dict.update(kept_settings)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("address", ["/devices/", "/no-such-page/", "/accounts/login/"])
def test_a_database_that_cannot_be_reached_gets_a_page_in_words_not_a_500(client_of, noc, address):
    """Before, every page answered the generic 500 page while the database was down, which
    told the on-call engineer nothing; now a 503 says what is down and to try again."""
    client = client_of(noc)
    client.raise_request_exception = False
    with database_unreachable():
        response = client.get(address)

    page = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "The dashboard's database cannot be reached" in page
    assert "Something went wrong" not in page
    assert 'href="/">Back to the overview' in page
    assert client.get("/devices/").status_code == 200  # and back once it answers


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("address", ["/broken/", "/unmigrated/"])
def test_any_other_error_keeps_the_server_error_page(client_of, viewer, address):
    """A bug, or a table missing (which SQLite calls an operational error too), is not the
    database being unreachable."""
    client = client_of(viewer)
    client.raise_request_exception = False
    response = client.get(address)

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
