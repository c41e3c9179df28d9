"""Property tests of the device filters, over real HTTP, on the session simulator.

The fleet is left unchanged by these tests (reads only, no update_status), so
one reset per test is enough.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.simulator import ALL_TOKEN, TENANT_ORGS, TENANT_TOKEN
from tests.simulator.wire import ApiClient

ORGANIZATIONS = [5, 7, 11, 12, 19, 23, 99]
TYPES = [12, 15, 21, 23, 31, 34, 40, 77]
SINCE = ["2000-01-01T00:00:00+00:00", "2026-01-01T00:00:00Z", "2099-01-01T00:00:00-05:00"]

filters = st.fixed_dictionaries(
    {},
    optional={
        "organization": st.sampled_from(ORGANIZATIONS),
        "type": st.sampled_from(TYPES),
        "last_status_change_from": st.sampled_from(SINCE),
    },
)
PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _ids(api: ApiClient, **params) -> list[int]:
    return [d["id"] for d in api.all_devices(**params)]


@PROPERTY_SETTINGS
@given(chosen=filters)
def test_up_and_down_pages_partition_the_unfiltered_set(api, chosen):
    everything = _ids(api, **chosen)
    up = _ids(api, status="true", **chosen)
    down = _ids(api, status="0", **chosen)
    assert sorted(up + down) == everything
    assert not set(up) & set(down)


@PROPERTY_SETTINGS
@given(chosen=filters, limit=st.integers(min_value=7, max_value=120))  # >7: at most ~45 pages
def test_walking_every_page_yields_each_device_once(api, chosen, limit):
    expected_count = api.get("/inventory_device/", **chosen).json()["count"]
    seen, offset = [], 0
    while True:
        page = api.get("/inventory_device/", limit=limit, offset=offset, **chosen).json()
        seen.extend(d["id"] for d in page["results"])
        if page["next"] is None:
            break
        offset += min(limit, 100)
    assert len(seen) == len(set(seen)) == expected_count


@PROPERTY_SETTINGS
@given(chosen=filters, status=st.sampled_from([None, "1", "False"]))
def test_tenant_token_never_sees_another_organization(simulator, sim_control, chosen, status):
    tenant = ApiClient(simulator.api_url, TENANT_TOKEN)
    params = dict(chosen) | ({"status": status} if status else {})
    response = tenant.get("/inventory_device/", limit=100, **params)
    if chosen.get("organization") not in (None, *TENANT_ORGS):
        assert response.status_code == 403
        return
    assert {d["organization_id"] for d in tenant.all_devices(**params)} <= TENANT_ORGS


@PROPERTY_SETTINGS
@given(chosen=filters)
def test_every_filtered_device_matches_its_filter(simulator, sim_control, chosen):
    api = ApiClient(simulator.api_url, ALL_TOKEN)
    for device in api.all_devices(**chosen):
        if "organization" in chosen:
            assert device["organization_id"] == chosen["organization"]
        if "type" in chosen:
            assert device["type"] == chosen["type"]
        if "last_status_change_from" in chosen:
            assert device["status_change"] is not None
