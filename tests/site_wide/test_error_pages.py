"""The site's own error pages (404, 403, 400, 500) with DEBUG off: they say in words what
happened and link back to the overview, and a 404 is the same whether the thing asked for
does not exist or belongs to another tenant."""

import pytest
from django.core.exceptions import PermissionDenied
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


urlpatterns = [path("refused/", refused), *site_urls.urlpatterns]


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
