"""Connection profiles in both documented shapes."""

NEWER_LIST = {
    "id",
    "name",
    "profile_type",
    "status",
    "last_sync",
    "organization",
    "created_at",
    "updated_at",
    "is_active",
}


def _all_profiles(api) -> list[dict]:
    return api.get("/inventory_connection_profile/", limit=100).json()["results"]


def test_there_are_about_thirty_profiles_in_both_shapes(api):
    profiles = _all_profiles(api)
    assert len(profiles) == 30
    assert any("profile_type" in p for p in profiles)
    assert any("connection_type" in p for p in profiles)


def test_newer_list_items_have_the_newer_fields(api):
    newer = next(p for p in _all_profiles(api) if "profile_type" in p)
    assert set(newer) == NEWER_LIST


def test_older_list_items_name_a_database_or_an_endpoint(api):
    older = [p for p in _all_profiles(api) if "connection_type" in p]
    assert all(("database" in p) != ("endpoint" in p) for p in older)


def test_newer_detail_has_health_and_configuration(api):
    newer = next(p for p in _all_profiles(api) if "profile_type" in p)
    detail = api.get(f"/inventory_connection_profile/{newer['id']}/").json()
    assert set(detail["health_status"]) == {
        "connectivity",
        "authentication",
        "last_error",
        "error_count_24h",
    }
    assert {"data_mapping", "filters"} <= set(detail["configuration"])


def test_profiles_cover_healthy_degraded_and_failing(api):
    details = [
        api.get(f"/inventory_connection_profile/{p['id']}/").json() for p in _all_profiles(api)
    ]
    connectivity = {d["health_status"]["connectivity"] for d in details if "health_status" in d}
    assert {"healthy", "degraded", "unreachable"} <= connectivity
    assert {"success", "failure"} <= {d["test_status"] for d in details if "test_status" in d}


def test_some_profiles_carry_credentials_the_dashboard_must_mask(api):
    details = [
        api.get(f"/inventory_connection_profile/{p['id']}/").json() for p in _all_profiles(api)
    ]
    assert any("password" in d for d in details)
    assert any("api_key" in d.get("configuration", {}).get("credentials", {}) for d in details)


def test_name_filter_is_partial_and_case_insensitive(api):
    results = api.get("/inventory_connection_profile/", name="WAREHOUSE").json()["results"]
    assert results
    assert all("warehouse" in p["name"].lower() for p in results)


def test_unknown_profile_is_a_404(api):
    assert api.get("/inventory_connection_profile/999/").status_code == 404


def test_profile_pages_follow_limit_and_offset(api):
    first = api.get("/inventory_connection_profile/", limit=10).json()
    second = api.get("/inventory_connection_profile/", limit=10, offset=10).json()
    assert first["next"].endswith("limit=10&offset=10")
    assert {p["id"] for p in first["results"]}.isdisjoint({p["id"] for p in second["results"]})


def test_some_newer_profiles_are_overdue_for_their_sync(api):
    from datetime import UTC, datetime, timedelta

    periods = {"every_15_minutes": 900, "hourly": 3600, "daily": 86400}
    now = datetime.now(UTC)
    overdue = []
    for item in _all_profiles(api):
        if "profile_type" not in item:
            continue
        detail = api.get(f"/inventory_connection_profile/{item['id']}/").json()
        age = now - datetime.fromisoformat(detail["last_sync"])
        if age > timedelta(seconds=2 * periods[detail["sync_frequency"]]):
            overdue.append(detail["id"])
    assert overdue
