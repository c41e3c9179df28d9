"""When the snapshot is missing or Redis is down, pages read the upstream and say so;
when that fails too, they say why in words. Never a 500."""

import pytest

from tests.fixtures.simulator import ALL_TOKEN


@pytest.fixture
def redis_down(settings, closed_port):
    """Redis at a port nothing listens on: a real refused connection."""
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port}/0"


@pytest.fixture
def upstream_down(settings, closed_port):
    settings.CONTROL_API_URL = f"http://127.0.0.1:{closed_port}/api/v1"
    settings.CONTROL_API_TOKEN = ALL_TOKEN


def test_before_the_first_poll_the_list_reads_the_upstream_and_says_so(
    profile_model, upstream, raw_profiles, client_of, noc
):
    response = client_of(noc).get("/profiles/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "The profiles have not been polled yet: read directly from the control API" in content
    assert response.context["listing"].total == len(raw_profiles)


def test_with_redis_down_the_list_reads_the_upstream_and_says_so(
    redis_down, upstream, client_of, noc
):
    response = client_of(noc).get("/profiles/", {"name": "ledger"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "The fleet cache (Redis) cannot be reached" in content
    assert "Ledger" in content


def test_with_redis_down_the_detail_reads_the_upstream(redis_down, upstream, client_of, noc):
    response = client_of(noc).get("/profiles/3/")
    assert response.status_code == 200
    assert "read directly from the control API" in response.content.decode()


def test_with_redis_down_an_unknown_profile_is_still_404(redis_down, upstream, client_of, noc):
    assert client_of(noc).get("/profiles/9999/").status_code == 404


def test_with_redis_and_upstream_down_the_list_says_why(redis_down, upstream_down, client_of, noc):
    response = client_of(noc).get("/profiles/")
    content = response.content.decode()
    assert response.status_code == 200
    assert (
        "The fleet cache (Redis) cannot be reached, and the control API could not be read"
        in content
    )


def test_with_redis_and_upstream_down_the_detail_says_why(
    redis_down, upstream_down, client_of, noc
):
    response = client_of(noc).get("/profiles/3/")
    content = response.content.decode()
    assert response.status_code == 200  # the site works: the page says what it cannot read
    assert "The fleet cache (Redis) cannot be reached, and the control API could not be" in content
    assert "Try again" in content


def test_the_upstream_fallback_is_scoped_too(redis_down, upstream, client_of, tenant_admin):
    # Tenant of organization 5, whose name matches no profile's organization.
    response = client_of(tenant_admin).get("/profiles/")
    assert response.status_code == 200
    assert response.context["listing"].total == 0
    assert client_of(tenant_admin).get("/profiles/3/").status_code == 404
