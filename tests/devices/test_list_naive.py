"""/devices/naive/: the benchmark's list read from the upstream on every request."""

import re

import pytest

from tests.fixtures.users import ORG_A, ORG_B


def shown_ids(response) -> list[int]:
    return [int(i) for i in re.findall(r'data-device-id="(\d+)"', response.content.decode())]


@pytest.fixture
def benchmark_views(cache_settings, still_fleet):
    cache_settings.BENCHMARK_VIEWS = True
    return cache_settings


def test_the_naive_list_is_not_found_unless_benchmark_views_are_on(client_of, noc, cache_settings):
    cache_settings.BENCHMARK_VIEWS = False

    response = client_of(noc).get("/devices/naive/")

    assert response.status_code == 404


def test_the_naive_list_shows_the_upstreams_devices_without_a_poll(
    client_of, noc, benchmark_views, all_devices
):
    # Nothing was polled: every row must come from the upstream on this request.
    response = client_of(noc).get(
        "/devices/naive/", {"status": "down", "organization": ORG_B, "per_page": "100"}
    )

    expected = [d.id for d in all_devices() if not d.is_up and d.organization_id == ORG_B]
    assert response.status_code == 200
    assert shown_ids(response) == expected[:100]
    context = response.context
    assert context["listing"].total == len(expected)
    ups = sum(1 for d in all_devices() if d.is_up and d.organization_id == ORG_B)
    assert context["counts"] == {"up": ups, "down": len(expected)}


def test_the_naive_list_keeps_a_tenant_to_their_organizations(
    client_of, tenant_admin, benchmark_views, all_devices
):
    fleet = {d.id: d.organization_id for d in all_devices()}

    response = client_of(tenant_admin).get("/devices/naive/", {"per_page": "100"})

    assert shown_ids(response)
    assert {fleet[i] for i in shown_ids(response)} == {ORG_A}
