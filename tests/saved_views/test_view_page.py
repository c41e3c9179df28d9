"""A view's page: its links and filter form stay on the view's URL and carry the whole
state shown; its managers may make the view keep that state."""

from urllib.parse import parse_qs, urlsplit

from accounts.models import AuditEntry
from saved_views.models import SavedView
from tests.fixtures.users import ORG_A
from tests.saved_views.conftest import ORG_SHARED, shown_ids


def test_the_views_links_stay_on_its_url(client_of, member_b, shared_view, polled):
    response = client_of(member_b).get(f"/views/{shared_view.pk}/")
    context = response.context

    links = [context["self_url"], *context["chip_urls"].values()]
    links += [link["url"] for cell in context["header"] for link in cell["links"]]
    assert all(urlsplit(url).path == f"/views/{shared_view.pk}/" for url in links)
    assert all(parse_qs(urlsplit(url).query)["adjusted"] == ["1"] for url in links)
    assert f'action="/views/{shared_view.pk}/"' in response.content.decode()


def test_every_status_on_a_down_view_shows_every_status(client_of, member_b, shared_view, polled):
    client = client_of(member_b)
    every = client.get(f"/views/{shared_view.pk}/").context["chip_urls"]["all"]

    response = client.get(every)

    assert response.context["filters"].status == ""
    assert response.context["heading"] == "Down everywhere"
    assert "Back to the view as saved" in response.content.decode()
    assert len(shown_ids(response)) > len(shown_ids(client.get(f"/views/{shared_view.pk}/")))


def test_another_organization_chosen_on_a_views_page_shows_that_organization(
    client_of, admin_a, polled, fleet_orgs
):
    """A view of organization 12: its opener, who sees 5 too, picks 5 or every organization
    in the filter on the view's page, and the list follows what the filter says."""
    view = SavedView.objects.create(
        name="Shared only", owner=admin_a, organization_id=ORG_SHARED,
        query={"organization": str(ORG_SHARED)},
    )  # fmt: skip
    client, orgs = client_of(admin_a), fleet_orgs()

    other = client.get(f"/views/{view.pk}/", {"adjusted": "1", "organization": str(ORG_A)})
    every = client.get(f"/views/{view.pk}/", {"adjusted": "1"})

    assert {orgs[i] for i in shown_ids(other)} == {ORG_A}
    assert "is known to the dashboard" not in other.content.decode()
    assert {orgs[i] for i in shown_ids(every)} == {ORG_A, ORG_SHARED}


def test_a_page_of_the_view_typed_by_hand_keeps_the_views_filter(
    client_of, member_b, shared_view, polled
):
    response = client_of(member_b).get(f"/views/{shared_view.pk}/", {"per_page": "25"})

    assert response.context["filters"].status == "down"
    assert response.context["filters"].per_page == 25


def test_the_organizations_admin_updates_what_the_view_keeps(client_of, admin_a, shared_view):
    response = client_of(admin_a).post(
        f"/views/{shared_view.pk}/update/", {"query": "adjusted=1&status=up&sort=-serial"}
    )

    shared_view.refresh_from_db()
    assert response.status_code == 302
    assert shared_view.query == {"status": "up", "sort": "-serial"}
    [entry] = AuditEntry.objects.filter(action="saved_view_update")
    assert entry.parameters["previous_query"] == {"status": "down", "per_page": "200"}


def test_a_member_who_is_not_admin_cannot_update_a_shared_view(client_of, member_b, shared_view):
    response = client_of(member_b).post(f"/views/{shared_view.pk}/update/", {"query": "status=up"})

    shared_view.refresh_from_db()
    assert response.status_code == 404
    assert shared_view.query["status"] == "down"


def test_only_managers_are_offered_the_update(client_of, admin_a, member_b, shared_view, polled):
    url = f"/views/{shared_view.pk}/"
    update = f'action="/views/{shared_view.pk}/update/"'

    assert update in client_of(admin_a).get(url).content.decode()
    assert update not in client_of(member_b).get(url).content.decode()


def test_a_personal_views_owner_updates_it(client_of, admin_a, personal_view):
    client_of(admin_a).post(f"/views/{personal_view.pk}/update/", {"query": "q=router"})

    assert SavedView.objects.get(pk=personal_view.pk).query == {"q": "router"}


def test_the_save_form_holds_the_state_shown(client_of, admin_a, shared_view, polled):
    client = client_of(admin_a)

    on_view = client.get(f"/views/{shared_view.pk}/").content.decode()
    on_list = client.get("/devices/", {"q": "hotel", "columns": "name"}).content.decode()

    assert '<input type="hidden" name="query" value="status=down&amp;per_page=200">' in on_view
    assert '<input type="hidden" name="query" value="q=hotel&amp;columns=name">' in on_list
