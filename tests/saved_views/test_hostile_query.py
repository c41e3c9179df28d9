"""A view's list state typed by hand: a search carrying a NUL ("%00") is kept without it,
where PostgreSQL's JSON refused it and the save answered 500."""

import pytest

from saved_views.models import SavedView

pytestmark = pytest.mark.django_db


def test_saving_and_updating_a_view_of_a_search_with_a_nul_keeps_the_rest(
    cached_fleet, tenant_admin, client_of
):
    client = client_of(tenant_admin)
    created = client.post("/views/new/", {"name": "Odd", "query": "q=cp%00e&status=down"})
    assert created.status_code == 302
    view = SavedView.objects.get(name="Odd")
    assert view.query == {"q": "cpe", "status": "down"}

    updated = client.post(f"/views/{view.pk}/update/", {"query": "q=a%00b"})
    assert updated.status_code == 302
    view.refresh_from_db()
    assert view.query == {"q": "ab"}


def test_a_view_of_a_long_address_is_saved_as_the_list_read_it(
    cached_fleet, tenant_admin, client_of
):
    """A search pasted into the address bar past the list's bound: the list cuts it and
    shows the rest; saving that state keeps what the list showed, not a refusal that names
    no field."""
    client = client_of(tenant_admin)
    long_query = "q=" + "x" * 5000 + "&columns=name,status&status=down"
    created = client.post("/views/new/", {"name": "Pasted", "query": long_query})
    assert created.status_code == 302
    view = SavedView.objects.get(name="Pasted")
    assert view.query == {"q": "x" * 100, "columns": "status,name", "status": "down"}

    updated = client.post(f"/views/{view.pk}/update/", {"query": long_query + "&sort=-name"})
    assert updated.status_code == 302
    view.refresh_from_db()
    assert view.query["sort"] == "-name"
