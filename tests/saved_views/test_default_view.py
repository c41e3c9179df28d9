"""A user's default view: /devices/ with no query opens it, with a way back to every
device; it is chosen and cleared by POST."""

from saved_views.models import DefaultView
from tests.saved_views.conftest import shown_ids


def test_devices_without_a_query_opens_the_default_view(client_of, member_b, shared_view, polled):
    client = client_of(member_b)
    assert client.post(f"/views/{shared_view.pk}/default/").status_code == 302

    response = client.get("/devices/")

    assert response.status_code == 302
    assert response["Location"] == f"/views/{shared_view.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "your default for Devices" in page
    assert 'href="/devices/?all=1">Show all devices</a>' in page


def test_show_all_devices_skips_the_default(client_of, member_b, shared_view, polled):
    client = client_of(member_b)
    client.post(f"/views/{shared_view.pk}/default/")

    response = client.get("/devices/", {"all": "1", "per_page": "200"})

    assert response.status_code == 200
    assert response.context["filters"].status == ""
    assert len(shown_ids(response)) > len(shown_ids(client.get(f"/views/{shared_view.pk}/")))


def test_a_filtered_list_is_not_replaced_by_the_default(client_of, member_b, shared_view, polled):
    client = client_of(member_b)
    client.post(f"/views/{shared_view.pk}/default/")

    assert client.get("/devices/", {"status": "up"}).status_code == 200


def test_clearing_the_default_opens_every_device_again(client_of, member_b, shared_view, polled):
    client = client_of(member_b)
    client.post(f"/views/{shared_view.pk}/default/")

    assert client.post("/views/default/clear/").status_code == 302
    assert client.get("/devices/").status_code == 200
    assert not DefaultView.objects.filter(user=member_b).exists()


def test_a_default_the_user_may_no_longer_open_is_ignored(client_of, member_b, shared_view, polled):
    client = client_of(member_b)
    client.post(f"/views/{shared_view.pk}/default/")
    member_b.memberships.filter(organization__upstream_id=shared_view.organization_id).delete()

    assert client.get("/devices/").status_code == 200


def test_one_default_per_user(client_of, admin_a, shared_view, personal_view, polled):
    client = client_of(admin_a)
    client.post(f"/views/{shared_view.pk}/default/")
    client.post(f"/views/{personal_view.pk}/default/")

    assert DefaultView.objects.get(user=admin_a).view == personal_view
    assert client.get("/devices/")["Location"] == f"/views/{personal_view.pk}/"


def test_saving_with_make_default_makes_it_the_default(client_of, admin_a, polled):
    client = client_of(admin_a)
    client.post("/views/new/", {"name": "Up", "make_default": "on", "query": "status=up"})

    assert DefaultView.objects.get(user=admin_a).view.name == "Up"
