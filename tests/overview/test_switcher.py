"""The active-organization switcher: narrows pages to one of the user's organizations."""

from accounts.models import Membership
from tests.fixtures.users import ORG_A, ORG_B, ORG_OTHER


def overview_ids(client):
    return [row["organization"].upstream_id for row in client.get("/").context["rows"]]


def test_switcher_is_offered_to_a_user_of_several_organizations(client_of, viewer):
    assert b'id="org-switcher"' in client_of(viewer).get("/").content


def test_switcher_is_not_offered_to_a_user_of_one_organization(client_of, operator):
    assert b'id="org-switcher"' not in client_of(operator).get("/").content


def test_switching_narrows_the_pages_to_that_organization(client_of, viewer):
    client = client_of(viewer)
    response = client.post("/organization/", {"organization": ORG_B, "next": "/audit/"})
    assert response["Location"] == "/audit/"
    assert overview_ids(client) == [ORG_B]


def test_switching_back_to_all_shows_every_organization_again(client_of, viewer):
    client = client_of(viewer)
    client.post("/organization/", {"organization": ORG_B})
    client.post("/organization/", {"organization": ""})
    assert sorted(overview_ids(client)) == [ORG_A, ORG_B]


def test_switching_to_a_foreign_organization_is_404_and_changes_nothing(client_of, viewer):
    client = client_of(viewer)
    client.post("/organization/", {"organization": ORG_A})
    response = client.post("/organization/", {"organization": ORG_OTHER})
    assert response.status_code == 404
    assert overview_ids(client) == [ORG_A]


def test_switching_to_an_organization_that_does_not_exist_is_404(client_of, noc):
    assert client_of(noc).post("/organization/", {"organization": 99999}).status_code == 404


def test_switching_to_garbage_is_404(client_of, viewer):
    assert client_of(viewer).post("/organization/", {"organization": "5; drop"}).status_code == 404


def test_noc_may_narrow_to_any_known_organization(client_of, noc):
    client = client_of(noc)
    client.post("/organization/", {"organization": ORG_OTHER})
    assert overview_ids(client) == [ORG_OTHER]


def test_a_choice_no_longer_allowed_is_dropped_on_the_next_request(client_of, viewer):
    client = client_of(viewer)
    client.post("/organization/", {"organization": ORG_B})
    Membership.objects.filter(user=viewer, organization__upstream_id=ORG_B).delete()
    assert overview_ids(client) == [ORG_A]


def test_switching_never_redirects_to_another_site(client_of, viewer):
    response = client_of(viewer).post(
        "/organization/", {"organization": ORG_B, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_switching_needs_a_post(client_of, viewer):
    assert client_of(viewer).get("/organization/", {"organization": ORG_B}).status_code == 405
