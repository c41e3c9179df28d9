"""The profile list and detail pages, as users see them (real Redis, simulator over HTTP)."""

import pytest

from accounts.models import Organization
from profiles import views
from tests.fixtures.users import ORG_A


def names_by_shape(raw_profiles):
    newer = [p["name"] for p in raw_profiles if "profile_type" in p]
    older = [p["name"] for p in raw_profiles if "connection_type" in p]
    return newer, older


def credential_values(value, inside=False, found=None):
    """Every value under a credential-like name, at any depth (the test's own rule,
    written from the brief, independent of common.masking)."""
    found = set() if found is None else found
    words = ("password", "passwd", "secret", "token", "key", "credential")
    if isinstance(value, dict):
        for key, item in value.items():
            credential_values(item, inside or any(w in key.lower() for w in words), found)
    elif isinstance(value, list):
        for item in value:
            credential_values(item, inside, found)
    elif inside and value is not None and not isinstance(value, bool):
        found.add(str(value))
    return found


# --- access ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/profiles/", "/profiles/1/"])
def test_profile_pages_require_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_an_unknown_profile_is_404(polled, client_of, noc):
    assert client_of(noc).get("/profiles/9999/").status_code == 404


def test_an_outsider_gets_404_for_another_organizations_profile(polled, client_of, outsider):
    profile = next(p for p in polled.items if p.organization)
    assert client_of(outsider).get(f"/profiles/{profile.id}/").status_code == 404


def test_a_tenant_sees_only_profiles_named_for_their_organization(polled, client_of, tenant_admin):
    ours = next(p for p in polled.items if p.organization)
    Organization.objects.filter(upstream_id=ORG_A).update(name=ours.organization)
    client = client_of(tenant_admin)

    listed = {row.profile.id for row in client.get("/profiles/").context["page"].object_list}

    expected = {p.id for p in polled.items if p.organization == ours.organization}
    assert listed == expected
    assert client.get(f"/profiles/{ours.id}/").status_code == 200
    other = next(p for p in polled.items if p.organization not in (None, ours.organization))
    assert client.get(f"/profiles/{other.id}/").status_code == 404


def test_profiles_without_an_organization_are_for_noc_staff_only(
    polled, client_of, tenant_admin, noc
):
    orphan = next(p for p in polled.items if p.organization is None)
    assert client_of(tenant_admin).get(f"/profiles/{orphan.id}/").status_code == 404
    assert client_of(noc).get(f"/profiles/{orphan.id}/").status_code == 200


# --- the list ---------------------------------------------------------------------------


def test_the_list_shows_profiles_of_both_shapes(polled, raw_profiles, client_of, noc, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 100)
    page = client_of(noc).get("/profiles/").content.decode()
    newer, older = names_by_shape(raw_profiles)
    assert newer[0] in page
    assert older[0] in page


def test_the_name_filter_is_partial_and_ignores_case(polled, client_of, noc):
    response = client_of(noc).get("/profiles/", {"name": "sTOCK led"})
    names = [row.profile.name for row in response.context["page"].object_list]
    assert names
    assert all("stock led" in name.lower().replace("-", " ") for name in names)
    expected = [p for p in polled.items if "stock led" in p.name.lower()]
    assert len(names) == len(expected)


def test_counts_per_state_add_up_and_the_state_filter_narrows(polled, client_of, noc):
    client = client_of(noc)
    counts = {c.state: c.count for c in client.get("/profiles/").context["listing"].counts}
    assert sum(counts.values()) == len(polled.items)
    assert counts["failing"] > 0

    failing = client.get("/profiles/", {"state": "failing"}).context["page"].object_list
    assert len(failing) == counts["failing"]
    assert {row.judgement.state for row in failing} == {"failing"}


def test_an_unknown_state_is_named_and_every_profile_shown(polled, client_of, noc):
    response = client_of(noc).get("/profiles/", {"state": "on-fire"})
    assert "There is no health state “on-fire”" in response.content.decode()
    assert response.context["page"].paginator.count == len(polled.items)


def test_the_list_says_how_old_its_data_is(polled, client_of, noc):
    assert "Data as of" in client_of(noc).get("/profiles/").content.decode()


def test_page_links_keep_the_filter(polled, client_of, noc, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    content = client_of(noc).get("/profiles/", {"name": "ledger"}).content.decode()
    assert 'href="?name=ledger&amp;page=2"' in content
    assert 'hx-get="?name=ledger&amp;page=2"' in content


def test_an_htmx_request_gets_only_the_results(polled, client_of, noc):
    response = client_of(noc).get("/profiles/", {"name": "ledger"}, headers={"HX-Request": "true"})
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="profile-results">')
    assert "<html" not in content
    assert "HX-Request" in response["Vary"]


def test_the_filter_form_works_with_and_without_htmx(polled, client_of, noc):
    content = client_of(noc).get("/profiles/").content.decode()
    assert 'method="get" action="/profiles/"' in content
    assert 'hx-get="/profiles/" hx-target="#profile-results"' in content


# --- the detail -------------------------------------------------------------------------


def test_a_newer_profile_shows_health_signals_sync_and_configuration(polled, client_of, noc):
    profile = next(p for p in polled.items if p.shape == "v2" and p.configuration)
    content = client_of(noc).get(f"/profiles/{profile.id}/").content.decode()
    for text in ("Errors in 24 h", "Connectivity", "Synchronisation", "data_mapping", "filters"):
        assert text in content
    assert profile.endpoint_url in content


def test_an_older_profile_shows_its_connection_test_and_host(polled, client_of, noc):
    profile = next(p for p in polled.items if p.shape == "v1")
    content = client_of(noc).get(f"/profiles/{profile.id}/").content.decode()
    assert "Connection test" in content
    assert profile.host in content
    assert "The control API sends this profile in its older format" in content


def test_a_failing_profile_says_why(polled, client_of, noc):
    profile = next(p for p in polled.items if p.last_check_status in ("failed", "failure"))
    response = client_of(noc).get(f"/profiles/{profile.id}/")
    assert response.context["profile"].judgement.state == "failing"
    assert "Health: Failing" in response.content.decode()


def test_credentials_are_shown_as_hidden(polled, client_of, noc):
    profile = next(p for p in polled.items if "credentials" in p.configuration)
    content = client_of(noc).get(f"/profiles/{profile.id}/").content.decode()
    assert '•••••• <span class="masked-note">hidden</span>' in content


def test_no_credential_of_any_profile_reaches_any_page(polled, raw_profiles, client_of, noc):
    secrets = credential_values(raw_profiles)
    # The simulator's profiles do carry credentials: passwords, API keys, tokens.
    assert any(s.startswith("pw-") for s in secrets)
    assert any(s.startswith("zk_live_") for s in secrets)
    client = client_of(noc)
    pages = [client.get("/profiles/").content.decode()]
    pages += [client.get(f"/profiles/{p['id']}/").content.decode() for p in raw_profiles]
    leaked = {s for s in secrets for page in pages if s in page}
    assert leaked == set()
