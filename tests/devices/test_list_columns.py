"""The devices page's header: where to add or import devices, and sorting by every column
a NOC sorts by, with the active sort marked."""

import re

import pytest

from accounts.models import Organization
from fleet import polling
from tests.fixtures.sort_orders import EXPECTED_ORDER


@pytest.fixture
def polled(model, api_factory, poll_config, still_fleet, cache_settings):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    return still_fleet


def shown_ids(response) -> list[int]:
    return [int(i) for i in re.findall(r'data-device-id="(\d+)"', response.content.decode())]


def header_cells(response) -> list[str]:
    thead = re.search(r"<thead>(.*?)</thead>", response.content.decode(), re.S).group(1)
    return re.findall(r"<th\b.*?</th>", thead, re.S)


@pytest.mark.parametrize("who", ["noc", "tenant_admin"])
def test_people_who_may_create_devices_find_add_and_import_on_the_list(
    request, client_of, polled, who
):
    page = client_of(request.getfixturevalue(who)).get("/devices/").content.decode()

    assert re.search(r'<a [^>]*href="/devices/new/"[^>]*>\s*Add device', page)
    assert re.search(r'<a [^>]*href="/devices/import/"[^>]*>\s*Import', page)


@pytest.mark.parametrize("who", ["viewer", "noc_viewer", "operator"])
def test_people_who_may_not_create_devices_get_no_add_or_import_link(
    request, client_of, polled, who
):
    client = client_of(request.getfixturevalue(who))
    page = client.get("/devices/").content.decode()

    assert 'href="/devices/new/"' not in page
    assert 'href="/devices/import/"' not in page
    # The server refuses them all the same.
    assert client.get("/devices/new/").status_code == 404
    assert client.get("/devices/import/").status_code == 404


SORTS = {
    "organization": "Organization",
    "type": "Type",
    "serial": "Serial",
    "customer_id": "Customer id",
    "location": "Location",
    "software": "Software",
}


@pytest.mark.parametrize("key", sorted(SORTS))
def test_each_column_a_noc_sorts_by_has_a_sort_link_that_sorts(
    client_of, noc, polled, all_devices, key
):
    client = client_of(noc)
    first = client.get("/devices/", {"per_page": "200"})
    cell = next(c for c in header_cells(first) if f">{SORTS[key]}<" in c)
    link = re.search(r'href="([^"]+)"', cell).group(1).replace("&amp;", "&")
    assert f"sort={key}" in link

    ascending = client.get(link)
    descending = client.get("/devices/", {"sort": f"-{key}", "per_page": "200"})

    assert ascending.status_code == descending.status_code == 200
    assert not ascending.context["filters"].errors
    fleet = all_devices()
    if key in EXPECTED_ORDER:
        expected = [d.id for d in sorted(fleet, key=EXPECTED_ORDER[key])]
        assert shown_ids(ascending) == expected[:200]
        assert shown_ids(descending) == expected[::-1][:200]
    else:  # organization: the next test checks its order
        assert set(shown_ids(descending)) | set(shown_ids(ascending)) <= {d.id for d in fleet}
        assert shown_ids(descending) != shown_ids(ascending)


def test_sorting_by_organization_follows_the_organizations_names(
    client_of, noc, polled, all_devices
):
    # Names in the opposite order of the ids, as an upstream numbering would have them.
    ids = sorted({d.organization_id for d in all_devices() if d.organization_id is not None})
    for n, org_id in enumerate(reversed(ids)):
        Organization.objects.update_or_create(
            upstream_id=org_id, defaults={"name": f"{chr(ord('a') + n)} organization"}
        )

    response = client_of(noc).get("/devices/", {"sort": "organization", "per_page": "200"})

    shown = [r["device"].organization_id for r in response.context["rows"]]
    assert shown == sorted(shown, key=lambda o: (o is None, -(o or 0)))
    assert len(set(shown)) > 1


@pytest.mark.parametrize(
    ("sort", "column", "state"),
    [
        ("", "Name", "ascending"),
        ("-name", "Name", "descending"),
        ("serial", "Serial", "ascending"),
        ("-software", "Software", "descending"),
        ("-last_connection", "Last connection", "descending"),
        ("status_change", "since", "ascending"),
    ],
)
def test_the_active_sort_column_says_so(client_of, noc, polled, sort, column, state):
    params = {"sort": sort} if sort else {}
    response = client_of(noc).get("/devices/", params)

    cells = header_cells(response)
    active = [c for c in cells if 'aria-sort="ascending"' in c or 'aria-sort="descending"' in c]
    assert len(active) == 1
    assert f'aria-sort="{state}"' in active[0]
    assert f">{column}<" in active[0]
    arrow = "▲" if state == "ascending" else "▼"
    assert arrow in active[0]
    assert all("▲" not in c and "▼" not in c for c in cells if c is not active[0])


@pytest.mark.parametrize("sort", ["-colour", "--name"])
def test_an_unknown_sort_is_named_and_the_list_is_sorted_by_name(client_of, noc, polled, sort):
    response = client_of(noc).get("/devices/", {"sort": sort})

    assert response.status_code == 200
    assert f"Cannot sort by “{sort}”; sorted by name." in response.content.decode()
    assert response.context["filters"].query.sort == "name"
    assert not response.context["filters"].query.descending


@pytest.mark.parametrize("sort", ["-organization", "software"])
def test_without_redis_a_new_sort_still_lists_and_says_sorting_needs_the_cache(
    client_of, noc, still_fleet, redis_down, sort
):
    response = client_of(noc).get("/devices/", {"sort": sort})

    assert response.status_code == 200
    assert "sorting needs the cache" in response.content.decode()
    assert shown_ids(response)
