"""Login, logout, the layout, the overview, the placeholders and the health check."""

import re

import pytest
from django_htmx.middleware import HtmxMiddleware

from accounts.models import Membership
from overview import context_processors
from tests.fixtures.users import ORG_A, ORG_B, ORG_OTHER, PASSWORD

PAGES = ["/", "/devices/", "/triage/", "/profiles/", "/audit/"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_requires_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_switching_organization_requires_login(client, db):
    response = client.post("/organization/", {"organization": ORG_A})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_health_check_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_login_with_the_right_password_lands_on_the_overview(client, operator, key_prefix):
    response = client.post(
        "/accounts/login/", {"username": "operator", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert b"operator" in response.content
    assert response.context["user"] == operator


def test_login_returns_to_the_page_asked_for(client, operator):
    response = client.post(
        "/accounts/login/?next=/audit/",
        {"username": "operator", "password": PASSWORD, "next": "/audit/"},
    )
    assert response["Location"] == "/audit/"


def test_login_with_a_wrong_password_says_so(client, operator):
    response = client.post("/accounts/login/", {"username": "operator", "password": "nope"})
    assert response.status_code == 200
    assert b"did not match" in response.content
    assert client.get("/").status_code == 302


def test_logout_needs_a_post(client_of, operator):
    client = client_of(operator)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").status_code == 200


def test_logout_ends_the_session(client_of, operator):
    client = client_of(operator)
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_overview_lists_only_the_users_organizations(client_of, operator):
    response = client_of(operator).get("/")
    ids = [row["organization"].upstream_id for row in response.context["rows"]]
    assert ids == [ORG_A]
    assert f"Test organization {ORG_OTHER}".encode() not in response.content


def test_overview_shows_the_users_role_per_organization(client_of, operator):
    response = client_of(operator).get("/")
    assert [row["role"] for row in response.context["rows"]] == ["operator"]


def test_overview_for_noc_lists_every_organization(client_of, noc):
    response = client_of(noc).get("/")
    ids = {row["organization"].upstream_id for row in response.context["rows"]}
    assert ids == {ORG_A, ORG_B, ORG_OTHER}


def test_overview_tells_a_user_without_organizations_what_to_do(client_of, nobody):
    response = client_of(nobody).get("/")
    assert b"not a member of any organization" in response.content


@pytest.mark.parametrize("path", ["/devices/", "/triage/"])
def test_fleet_pages_answer_inside_the_layout_even_before_any_poll(client_of, viewer, path):
    response = client_of(viewer).get(path)
    assert response.status_code == 200
    assert b'href="/audit/"' in response.content  # inside the layout


def test_navigation_marks_the_current_page(client_of, viewer):
    content = client_of(viewer).get("/triage/").content.decode()
    assert '<a href="/triage/" aria-current="page">' in content
    assert content.count('aria-current="page"') == 1


def test_layout_names_the_user_and_their_role(client_of, tenant_admin):
    content = client_of(tenant_admin).get("/").content.decode()
    assert "tenant-admin" in content
    assert '<span class="role">admin</span>' in content


def test_layout_sets_the_csrf_header_for_htmx_once(client_of, viewer):
    response = client_of(viewer).get("/")
    content = response.content.decode()
    assert content.count("hx-headers=") == 1
    assert f'"X-CSRFToken": "{response.context["csrf_token"]}"' in content


def test_layout_loads_scripts_and_styles_from_our_own_server(client_of, viewer):
    content = client_of(viewer).get("/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', content)
    assert any("htmx" in source for source in sources)
    assert all(source.startswith("/static/") for source in sources)


def test_pages_may_not_be_framed(client_of, viewer):
    assert client_of(viewer).get("/").headers["X-Frame-Options"] == "DENY"


def test_the_footer_says_which_time_zone_times_are_in(client_of, viewer, settings):
    settings.DISPLAY_TIME_ZONE = "America/Mexico_City"
    assert b"Times shown in America/Mexico_City" in client_of(viewer).get("/").content


def test_banner_says_the_fleet_is_loading_before_the_first_poll(client_of, viewer):
    response = client_of(viewer).get("/")
    assert response.context["banner"]["level"] == "info"
    assert b"Fleet data is loading" in response.content


def test_banner_says_degraded_when_redis_is_unreachable(client_of, viewer, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there: a real failure
    response = client_of(viewer).get("/audit/")
    assert response.status_code == 200
    assert response.context["banner"]["level"] == "error"
    assert b"Degraded: the fleet cache (Redis) is unreachable" in response.content


def test_login_page_shows_no_banner(client):
    response = client.get("/accounts/login/")
    assert response.context["banner"] is None


def test_overview_shows_the_stronger_role_of_noc_staff_who_are_also_members(
    client_of, noc_viewer, organizations
):
    Membership.objects.create(user=noc_viewer, organization=organizations[ORG_A], role="admin")
    rows = client_of(noc_viewer).get("/").context["rows"]
    roles = {row["organization"].upstream_id: row["role"] for row in rows}
    assert roles == {ORG_A: "admin", ORG_B: "viewer", ORG_OTHER: "viewer"}


def test_a_page_reads_the_users_grants_once(client_of, operator, django_assert_max_num_queries):
    client = client_of(operator)
    client.get("/audit/")  # the session is loaded once before counting
    # session, user, NOC role, memberships, switcher organizations, the page's own two
    with django_assert_max_num_queries(7):
        client.get("/audit/")


def test_an_htmx_fragment_does_not_read_the_layouts_banner_or_switcher(viewer, rf, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # a banner read would say "Degraded"
    request = rf.get("/audit/", headers={"HX-Request": "true"})
    request.user = viewer
    HtmxMiddleware(lambda r: None)(request)

    assert context_processors.banner(request) == {"banner": None}
    assert context_processors.tenancy_context(request) == {}
