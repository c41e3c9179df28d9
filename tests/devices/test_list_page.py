"""The devices page: filters from the URL, tenancy, htmx partials, bad input, degraded modes."""

import re
from datetime import UTC, datetime

import msgspec
import pytest

from accounts.models import Role
from devices import list_selectors
from fleet import polling
from fleet.store.queries import DeviceQuery
from tests.fixtures.users import ORG_A, ORG_B, ORG_OTHER, make_user


@pytest.fixture
def polled(model, api_factory, poll_config, still_fleet, cache_settings):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    return still_fleet


def shown_ids(response) -> list[int]:
    return [int(i) for i in re.findall(r'data-device-id="(\d+)"', response.content.decode())]


def test_status_down_shows_exactly_the_simulators_down_devices(client_of, noc, polled, all_devices):
    response = client_of(noc).get("/devices/", {"status": "down", "per_page": "200"})

    expected = sorted(
        (d for d in all_devices() if not d.is_up), key=lambda d: (d.name.casefold(), d.id)
    )
    assert response.status_code == 200
    assert shown_ids(response) == [d.id for d in expected][:200]


@pytest.mark.parametrize("word", ["0", "false", "False", "down"])
def test_every_upstream_spelling_of_down_is_accepted(client_of, noc, polled, word):
    response = client_of(noc).get("/devices/", {"status": word})

    assert response.context["filters"].status == "down"
    assert response.context["listing"].total == response.context["counts"]["down"]


def test_organization_filter_shows_only_that_organizations_devices(
    client_of, noc, polled, all_devices
):
    response = client_of(noc).get("/devices/", {"organization": ORG_B, "per_page": "200"})

    expected = {d.id for d in all_devices() if d.organization_id == ORG_B}
    assert set(shown_ids(response)) == expected


def test_a_tenant_never_sees_another_organizations_devices(
    client_of, tenant_admin, polled, all_devices
):
    client = client_of(tenant_admin)
    fleet = {d.id: d.organization_id for d in all_devices()}

    mine = client.get("/devices/", {"per_page": "200"})
    edited = client.get("/devices/", {"organization": ORG_OTHER, "per_page": "200"})

    assert shown_ids(mine) and {fleet[i] for i in shown_ids(mine)} == {ORG_A}
    assert {fleet[i] for i in shown_ids(edited)} == {ORG_A}
    assert "not one of your organizations" in edited.content.decode()


def test_a_tenant_asking_the_page_a_noc_user_just_read_sees_only_their_own(
    client_of, noc, tenant_admin, polled, all_devices
):
    fleet = {d.id: d.organization_id for d in all_devices()}

    everyone = shown_ids(client_of(noc).get("/devices/", {"per_page": "200"}))
    mine = shown_ids(client_of(tenant_admin).get("/devices/", {"per_page": "200"}))

    assert {fleet[i] for i in everyone} > {ORG_A}
    assert mine and {fleet[i] for i in mine} == {ORG_A}


def test_a_device_that_changes_after_a_read_shows_its_new_state_on_the_next(
    client_of, noc, polled, model
):
    client = client_of(noc)
    first = shown_ids(client.get("/devices/", {"status": "down"}))
    changed = model.get_device(first[0]).device
    now = datetime.now(UTC)

    model.update_devices(
        [msgspec.structs.replace(changed, status="Up", status_change=now)], observed_at=now
    )

    newest_up = client.get("/devices/", {"status": "up", "sort": "-status_change"})
    assert first[0] not in shown_ids(client.get("/devices/", {"status": "down"}))
    assert first[0] in shown_ids(newest_up)


def test_a_burst_of_new_pages_keeps_the_pages_read_last_in_memory(polled, model, monkeypatch):
    """A page kept in memory is answered without asking the read model: when the memo
    is full the oldest page makes room, not every page (a burst of searches must not
    make every open list walk Redis again)."""
    asked = []
    query = model.query
    monkeypatch.setattr(model, "query", lambda q, *a, **kw: asked.append(q) or query(q, *a, **kw))
    monkeypatch.setattr(list_selectors, "_page_memo", {})
    info = model.snapshot_info()
    burst = [DeviceQuery(search=f"needle-{n}") for n in range(list_selectors.PAGE_MEMO_SIZE + 1)]
    for q in burst:
        list_selectors._page_of(model, q, None, info)
    asked.clear()

    list_selectors._page_of(model, burst[-2], None, info)
    list_selectors._page_of(model, burst[1], None, info)
    list_selectors._page_of(model, burst[0], None, info)

    assert asked == [burst[0]]


def test_a_fleet_cache_emptied_and_filled_again_is_read_afresh(
    client_of, noc, polled, model, api_factory, poll_config, redis_client, key_prefix
):
    client = client_of(noc)
    first = shown_ids(client.get("/devices/", {"status": "down"}))
    for key in redis_client.scan_iter(match=key_prefix + "*", count=1000):
        redis_client.delete(key)
    polled.set_status(first[0], up=True)

    # The new fleet's first generation has the same number as the old one's.
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")

    assert first[0] not in shown_ids(client.get("/devices/", {"status": "down"}))


def test_search_finds_a_device_by_serial(client_of, noc, polled, all_devices):
    device = all_devices()[17]

    response = client_of(noc).get("/devices/", {"q": device.serial_number})

    assert shown_ids(response) == [device.id]


def test_sorting_by_name_descending_reverses_the_order(client_of, noc, polled):
    client = client_of(noc)
    ascending = shown_ids(client.get("/devices/", {"per_page": "200"}))
    descending = shown_ids(client.get("/devices/", {"sort": "-name", "per_page": "200"}))

    total = client.get("/devices/").context["listing"].total
    assert total > 200  # the comparison spans two different halves otherwise
    assert descending[0] != ascending[0]
    assert (
        client.get("/devices/", {"sort": "-name", "per_page": "25", "page": "1"})
        .context["rows"][0]["device"]
        .id
        == descending[0]
    )


def test_second_page_continues_where_the_first_ended(client_of, noc, polled):
    client = client_of(noc)
    both = shown_ids(client.get("/devices/", {"per_page": "50"}))
    first = shown_ids(client.get("/devices/", {"per_page": "25"}))
    second = shown_ids(client.get("/devices/", {"per_page": "25", "page": "2"}))

    assert first + second == both


def test_pending_only_shows_devices_with_pending_settings(client_of, noc, polled):
    response = client_of(noc).get("/devices/", {"pending": "true", "per_page": "200"})

    rows = response.context["rows"]
    assert rows and all(row["device"].pending_settings for row in rows)


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"status": "sideways"}, "is not known"),
        ({"organization": "abc"}, "not an organization id"),
        ({"type": "-3"}, "not a device type id"),
        ({"last_status_change_from": "yesterday"}, "is not a date and time"),
        ({"sort": "password"}, "Cannot sort by"),
        ({"per_page": "100000"}, "is not offered"),
        ({"page": "zero"}, "not a page number"),
        ({"changed": "3 weeks"}, "is not a quick pick"),
    ],
)
def test_a_bad_value_gets_a_message_and_the_page_still_lists(client_of, noc, polled, params, words):
    response = client_of(noc).get("/devices/", params)

    assert response.status_code == 200
    assert words in response.content.decode()
    assert shown_ids(response)


def test_a_page_past_the_end_shows_the_last_page(client_of, noc, polled):
    response = client_of(noc).get("/devices/", {"page": "9999", "per_page": "200"})

    assert response.context["filters"].page == response.context["page_count"]
    assert shown_ids(response)


def test_changed_since_a_time_keeps_only_devices_changed_after_it(
    client_of, noc, polled, all_devices
):
    fleet = [d for d in all_devices() if d.status_change is not None]
    middle = sorted(d.status_change for d in fleet)[len(fleet) // 2]

    response = client_of(noc).get(
        "/devices/", {"last_status_change_from": middle.isoformat(), "per_page": "200"}
    )

    assert set(shown_ids(response)) == {d.id for d in fleet if d.status_change >= middle}


def test_htmx_control_change_renders_only_the_results(client_of, noc, polled):
    response = client_of(noc).get("/devices/", {"status": "up"}, HTTP_HX_REQUEST="true")

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="device-results"')
    assert "<html" not in content


def test_htmx_refresh_renders_rows_and_counters_out_of_band(client_of, noc, polled):
    response = client_of(noc).get(
        "/devices/", {"status": "up"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="device-rows"
    )

    content = response.content.decode()
    assert content.lstrip().startswith('<tbody id="device-rows"')
    assert 'id="status-chips" ' in content and 'hx-swap-oob="true"' in content
    assert "fleet-filter" not in content


def test_rows_link_to_the_device_page(client_of, noc, polled):
    response = client_of(noc).get("/devices/")
    device = response.context["rows"][0]["device"]

    assert f'href="/devices/{device.id}/"' in response.content.decode()


def test_the_page_says_how_old_its_data_is(client_of, noc, polled):
    assert "Data as of" in client_of(noc).get("/devices/").content.decode()


def test_without_redis_the_page_says_degraded_and_still_lists(
    client_of, noc, still_fleet, redis_down
):
    response = client_of(noc).get("/devices/")

    assert response.status_code == 200
    assert "Degraded mode" in response.content.decode()
    assert shown_ids(response)


def test_the_page_has_no_banner_while_its_data_is_fresh(client_of, noc, polled):
    response = client_of(noc).get("/devices/?status=down")

    assert response.context["banner"] is None


def test_the_page_warns_above_the_list_when_its_data_is_stale(client_of, noc, polled, settings):
    # Polls due every millisecond: the data polled above is three intervals old at once.
    settings.POLL_INTERVAL_SECONDS = 0.001

    response = client_of(noc).get("/devices/?status=down")

    assert response.context["banner"]["level"] == "warning"
    assert "No poll has run since" in response.content.decode()
    assert shown_ids(response)


def test_without_redis_the_page_shows_the_degraded_banner(client_of, noc, still_fleet, redis_down):
    response = client_of(noc).get("/devices/?status=down")

    assert response.context["banner"]["level"] == "error"
    assert "Degraded: the fleet cache (Redis) is unreachable" in response.content.decode()


def test_without_redis_and_upstream_the_page_explains_in_words(
    client_of, noc, redis_down, upstream_down
):
    response = client_of(noc).get("/devices/")

    assert response.status_code == 200
    assert "could not be read either" in response.content.decode()


def test_the_organization_choices_are_only_the_users(client_of, viewer, polled):
    response = client_of(viewer).get("/devices/")

    assert {o.upstream_id for o in response.context["organizations"]} == {ORG_A, ORG_B}
    assert f"Test organization {ORG_OTHER}" not in response.content.decode()


def type_options(response) -> dict[str, str]:
    """The type select's options, value -> label, without "All types"."""
    select = re.search(
        r'<select id="fleet-type" name="type">(.*?)</select>', response.content.decode(), re.S
    )
    assert select, "the type filter is not a select"
    return {
        v: label
        for v, label in re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', select[1])
    }


def test_the_type_select_offers_the_types_of_the_users_organizations_only(
    client_of, organizations, polled, all_devices
):
    fleet = all_devices()
    types_of = {o: {d.type for d in fleet if d.organization_id == o}
                for o in {d.organization_id for d in fleet}}  # fmt: skip
    narrowest = min(types_of, key=lambda o: len(types_of[o]))
    assert types_of[narrowest] < {d.type for d in fleet}  # the fleet makes the test mean something
    tenant = make_user("narrow-tenant", memberships=[(narrowest, Role.VIEWER)])

    offered = type_options(client_of(tenant).get("/devices/"))

    names = {d.type: d.type_short_name for d in fleet}
    assert offered == {str(t): names[t] for t in types_of[narrowest]}


def test_choosing_a_type_shows_only_devices_of_that_type(client_of, noc, polled, all_devices):
    client = client_of(noc)
    chosen = next(iter(type_options(client.get("/devices/"))))

    response = client.get("/devices/", {"type": chosen, "per_page": "200"})

    expected = {d.id for d in all_devices() if d.type == int(chosen)}
    assert 0 < len(expected) <= 200
    assert set(shown_ids(response)) == expected
    assert f'<option value="{chosen}" selected>' in response.content.decode()


def test_a_type_id_the_cache_does_not_know_still_filters_and_shows_as_its_number(
    client_of, noc, polled
):
    response = client_of(noc).get("/devices/", {"type": "999"})

    assert shown_ids(response) == []
    assert '<option value="999" selected>#999</option>' in response.content.decode()


def test_without_fleet_data_the_type_filter_is_a_number_box(client_of, noc, redis_down):
    response = client_of(noc).get("/devices/", {"type": "12"})

    content = response.content.decode()
    assert '<input type="number" id="fleet-type" name="type" min="1" value="12"' in content
    assert '<select id="fleet-type"' not in content
