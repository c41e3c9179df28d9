"""A saved view opened at its URL: tenancy applies to whoever opens it, outsiders get 404,
and only admins manage a shared view."""

import re

import pytest

from saved_views.models import SavedView
from tests.fixtures.users import ORG_A, ORG_B, ORG_OTHER
from tests.saved_views.conftest import ORG_SHARED, shown_ids


def test_one_shared_view_shows_each_tenant_only_their_organizations_devices(
    client_of, admin_a, member_b, shared_view, polled, fleet_orgs
):
    orgs = fleet_orgs()
    url = f"/views/{shared_view.pk}/"

    seen_by_a = shown_ids(client_of(admin_a).get(url))
    seen_by_b = shown_ids(client_of(member_b).get(url))

    down = {i for i, o in orgs.items() if i in set(seen_by_a) | set(seen_by_b)}
    assert {orgs[i] for i in seen_by_a} == {ORG_A, ORG_SHARED}
    assert {orgs[i] for i in seen_by_b} == {ORG_B, ORG_SHARED}
    # The same devices of the organization both belong to.
    assert {i for i in seen_by_a if orgs[i] == ORG_SHARED} == {
        i for i in seen_by_b if orgs[i] == ORG_SHARED
    }
    assert down  # the filter matched something


def test_the_views_page_is_titled_with_the_views_name(client_of, member_b, shared_view, polled):
    page = client_of(member_b).get(f"/views/{shared_view.pk}/").content.decode()

    assert "<title>Down everywhere" in page
    assert "<h1>Down everywhere</h1>" in page


def test_the_rows_refresh_of_a_view_keeps_the_openers_organizations(
    client_of, member_b, shared_view, polled, fleet_orgs
):
    response = client_of(member_b).get(
        f"/views/{shared_view.pk}/", headers={"HX-Request": "true", "HX-Target": "device-rows"}
    )

    orgs = fleet_orgs()
    assert response.status_code == 200
    assert "<h1>" not in response.content.decode()
    assert {orgs[i] for i in shown_ids(response)} <= {ORG_B, ORG_SHARED}


def test_another_organizations_view_is_404(client_of, outsider, shared_view, polled):
    assert client_of(outsider).get(f"/views/{shared_view.pk}/").status_code == 404


def test_another_persons_personal_view_is_404_even_to_noc(
    client_of, member_b, noc, personal_view, polled
):
    assert client_of(member_b).get(f"/views/{personal_view.pk}/").status_code == 404
    assert client_of(noc).get(f"/views/{personal_view.pk}/").status_code == 404


def test_a_view_that_does_not_exist_is_404_like_anothers(client_of, member_b, polled):
    assert client_of(member_b).get("/views/999999/").status_code == 404


def test_a_views_organization_filter_the_opener_may_not_see_shows_nothing(
    client_of, admin_a, member_b, polled
):
    view = SavedView.objects.create(
        name="Org 5 only", owner=admin_a, organization_id=ORG_SHARED,
        query={"organization": str(ORG_A)},
    )  # fmt: skip

    response = client_of(member_b).get(f"/views/{view.pk}/")

    assert response.status_code == 200
    assert shown_ids(response) == []
    assert f"You cannot see organization #{ORG_A}" in response.content.decode()


@pytest.mark.parametrize("path", ["rename/", "delete/", "update/"])
def test_a_member_who_is_not_admin_cannot_change_a_shared_view(
    client_of, member_b, shared_view, path
):
    response = client_of(member_b).post(f"/views/{shared_view.pk}/{path}", {
        f"view{shared_view.pk}-name": "Mine now"
    })  # fmt: skip

    shared_view.refresh_from_db()
    assert response.status_code == 404
    assert shared_view.name == "Down everywhere"


def test_a_member_who_is_not_admin_cannot_share_a_view(client_of, member_b, polled):
    response = client_of(member_b).post(
        "/views/new/", {"name": "Shared by B", "share": str(ORG_SHARED), "query": "status=down"}
    )

    assert response.status_code == 400
    assert "only with an organization you administer" in response.content.decode()
    assert not SavedView.objects.filter(name="Shared by B").exists()


def test_an_outsider_cannot_change_a_shared_view(client_of, outsider, shared_view):
    client = client_of(outsider)

    assert client.post(f"/views/{shared_view.pk}/delete/").status_code == 404
    assert client.post(f"/views/{shared_view.pk}/pin/").status_code == 404
    assert SavedView.objects.filter(pk=shared_view.pk).exists()


def test_the_organizations_admin_renames_and_deletes_a_shared_view(client_of, admin_a, shared_view):
    client = client_of(admin_a)

    renamed = client.post(
        f"/views/{shared_view.pk}/rename/", {f"view{shared_view.pk}-name": "Down now"}
    )
    shared_view.refresh_from_db()
    assert renamed.status_code == 302
    assert shared_view.name == "Down now"

    assert client.post(f"/views/{shared_view.pk}/delete/").status_code == 302
    assert not SavedView.objects.filter(pk=shared_view.pk).exists()


def test_deleting_a_shared_view_asks_first_saying_who_loses_it(client_of, admin_a, shared_view):
    """One click deleted a view that was the NOC's default and a wall panel."""
    page = client_of(admin_a).get("/views/").content.decode()

    form = rf'action="/views/{shared_view.pk}/delete/"[^>]*data-confirm="([^"]*)"'
    question = re.search(form, page)

    assert question and f"Delete the saved view “{shared_view.name}”?" in question[1]
    assert "loses it: as their default view, pinned tile or wall panel too" in question[1]


def test_saving_a_view_keeps_the_lists_canonical_query_and_opens_it(client_of, admin_a, polled):
    response = client_of(admin_a).post("/views/new/", {
        "name": "Down in 5", "share": "",
        "query": f"status=0&organization={ORG_A}&page=3&bogus=1&sort=-serial&columns=name,serial",
    })  # fmt: skip

    view = SavedView.objects.get(name="Down in 5")
    assert response.status_code == 302
    assert response["Location"] == f"/views/{view.pk}/"
    assert view.organization_id is None
    assert view.query == {
        "status": "down", "organization": str(ORG_A), "sort": "-serial",
        "columns": "name,serial",
    }  # fmt: skip


def test_a_save_without_a_name_keeps_what_was_typed_and_says_why(client_of, admin_a, polled):
    response = client_of(admin_a).post(
        "/views/new/", {"name": "  ", "share": str(ORG_SHARED), "pin": "on", "query": "q=cpe"}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Give the view a name." in page
    assert f'<option value="{ORG_SHARED}" selected>' in page
    assert 'name="pin" id="id_pin" checked' in page
    assert 'value="q=cpe"' in page


def test_a_name_too_long_is_refused_in_words(client_of, admin_a, polled):
    response = client_of(admin_a).post("/views/new/", {"name": "x" * 101, "query": ""})

    assert response.status_code == 400
    assert "at most 100 characters" in response.content.decode()


def test_a_wall_screens_account_opens_a_shared_view_but_cannot_save(
    client_of, display_b, shared_view, polled
):
    client = client_of(display_b)

    page = client.get(f"/views/{shared_view.pk}/").content.decode()
    assert "Down everywhere" in page
    assert 'action="/views/new/"' not in page
    assert client.post("/views/new/", {"name": "x", "query": ""}).status_code == 404


def test_the_list_of_views_offers_management_only_where_allowed(
    client_of, admin_a, member_b, shared_view, personal_view
):
    page_a = client_of(admin_a).get("/views/").content.decode()
    page_b = client_of(member_b).get("/views/").content.decode()

    assert f'action="/views/{shared_view.pk}/delete/"' in page_a
    assert f'action="/views/{personal_view.pk}/delete/"' in page_a
    assert "Down everywhere" in page_b
    assert "Mine" not in page_b
    assert f'action="/views/{shared_view.pk}/delete/"' not in page_b
    assert f'action="/views/{shared_view.pk}/pin/"' in page_b


def test_state_changes_are_post_only(client_of, admin_a, shared_view):
    client = client_of(admin_a)

    for path in ("delete/", "rename/", "update/", "pin/", "unpin/", "default/"):
        assert client.get(f"/views/{shared_view.pk}/{path}").status_code == 405
    assert SavedView.objects.filter(pk=shared_view.pk).exists()


def test_rename_to_nothing_keeps_the_name_and_says_why(client_of, admin_a, shared_view):
    response = client_of(admin_a).post(
        f"/views/{shared_view.pk}/rename/", {f"view{shared_view.pk}-name": ""}
    )

    shared_view.refresh_from_db()
    assert response.status_code == 400
    assert "Give the view a name." in response.content.decode()
    assert shared_view.name == "Down everywhere"


def test_outsider_organization_cannot_be_named_on_a_view(client_of, outsider, shared_view):
    response = client_of(outsider).get("/views/")

    assert "Down everywhere" not in response.content.decode()
    assert str(ORG_OTHER)  # the outsider's own organization has no views here


def test_a_name_already_used_in_the_same_place_is_refused_in_words(
    client_of, admin_a, personal_view, shared_view
):
    """Two views of one name where one would pick among them (one's own views, or one
    organization's) cannot be told apart on the list, the overview or a wall."""
    client = client_of(admin_a)

    personal = client.post("/views/new/", {"name": " mine ", "query": "status=down"})
    shared = client.post("/views/new/", {
        "name": "Down Everywhere", "share": str(ORG_SHARED), "query": "status=up",
    })  # fmt: skip
    elsewhere = client.post("/views/new/", {"name": "Mine", "share": str(ORG_SHARED)})

    assert personal.status_code == 400
    assert "You already have a view called “Mine”" in personal.content.decode()
    assert 'value="status=down"' in personal.content.decode()
    assert shared.status_code == 400
    assert "already has a view called “Down everywhere”" in shared.content.decode()
    assert elsewhere.status_code == 302  # a shared view may be named as a personal one
    assert SavedView.objects.filter(name__iexact="mine").count() == 2


def test_a_rename_to_a_name_already_used_is_refused_in_words(client_of, admin_a, personal_view):
    other = SavedView.objects.create(name="Other", owner=admin_a)

    response = client_of(admin_a).post(
        f"/views/{other.pk}/rename/", {f"view{other.pk}-name": "MINE"}
    )
    same = client_of(admin_a).post(f"/views/{other.pk}/rename/", {f"view{other.pk}-name": "other"})

    other.refresh_from_db()
    assert response.status_code == 400
    assert "You already have a view called “Mine”" in response.content.decode()
    assert same.status_code == 302 and other.name == "other"  # its own name, recased
