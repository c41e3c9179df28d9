"""The isolation matrix, generated from the URL configuration: a view added later is covered
without a test written for it.

- Every view is declared public below, or sends a stranger to the login form.
- For every view that takes a device id, an outsider (admin of organization 11 only) asking
  for a device of organization 5, one that does not exist, or an id past any range, with GET
  and POST, gets 404 (405 where the method is not served), and nothing is written upstream.
- Every view answers each role below 500 when asked with ids that do not exist.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Views anyone may open; every other one must send a stranger to the login form.
PUBLIC = {
    "accounts/login/",
    "accounts/logout/",
    "favicon.ico",
    "healthz",
    "readyz",
    "metrics",  # closed by its own token or address list
}
# The naive device list, served only to the page benchmark (devices.views._benchmark_only).
BENCHMARK_ONLY = {"devices/naive/"}
MISSING_ID = 999_999_999
HUGE_ID = 2**40
ACTION = "reboot"
WALL_PANEL = "triage"


def _patterns(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("admin/"):
                continue  # Django's admin: staff only, by Django's own rules
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


ROUTES = sorted(set(_patterns()))


def _objects_of_organization_5(device, owner):
    """A view shared with organization 5, a note on `device` and a draft campaign of 5."""
    from campaigns.models import Campaign
    from devices.note_models import Note
    from saved_views.models import SavedView

    return (
        SavedView.objects.create(name="v", owner=owner, organization_id=5, query={}),
        Note.objects.create(device_id=device.id, organization_id=5, text="n", author_name="a"),
        Campaign.objects.create(name="c", organization_id=5, image_id=1),
    )


def _ids(view, note, campaign) -> dict:
    return {"view_id": view.pk, "note_id": note.pk, "campaign_id": campaign.pk}


def _path(route: str, **ids) -> str:
    """The route with its converters filled: ids as given, else MISSING_ID; the action slug."""
    path = route
    for name in (
        "device_id",
        "job_id",
        "record_id",
        "profile_id",
        "window_id",
        "rule_id",
        "note_id",
        "view_id",
        "campaign_id",
    ):
        path = path.replace(f"<int:{name}>", str(ids.get(name, MISSING_ID)))
    # A wall panel's key: one every user may show (wall.panels.FIXED).
    path = path.replace("<slug:key>", WALL_PANEL)
    return "/" + path.replace("<slug:action>", ACTION)


def test_the_matrix_sees_the_views_it_must():
    assert "devices/<int:device_id>/" in ROUTES and "operations/" in ROUTES
    assert not [r for r in ROUTES if "<" in _path(r)], "a converter the matrix cannot fill"


@pytest.mark.parametrize("route", [r for r in ROUTES if r not in PUBLIC | BENCHMARK_ONLY])
def test_a_view_not_declared_public_sends_a_stranger_to_log_in(client, route):
    """By the method it serves; the other may answer 405 first, which tells nothing."""
    answers = [client.get(_path(route)), client.post(_path(route))]
    assert {a.status_code for a in answers} <= {302, 405}, route
    assert any(a.status_code == 302 and a["Location"].startswith("/accounts/login/")
               for a in answers), route  # fmt: skip


def test_the_benchmark_only_list_is_not_served_outside_benchmarks(client_of, noc):
    for route in BENCHMARK_ONLY:
        assert client_of(noc).get(_path(route)).status_code == 404


DEVICE_ROUTES = [r for r in ROUTES if "<int:device_id>" in r]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("route", DEVICE_ROUTES)
def test_an_outsider_gets_404_for_any_device_not_theirs_and_nothing_is_written(
    cached_fleet, device_of_org, outsider, client_of, route, method
):
    client = client_of(outsider)
    before = _writes(cached_fleet)
    for device_id in (device_of_org(5).id, MISSING_ID, HUGE_ID):
        response = getattr(client, method)(_path(route, device_id=device_id))
        assert response.status_code in (404, 405), (route, method, device_id)
    assert _writes(cached_fleet) == before


@pytest.mark.parametrize("route", [r for r in ROUTES if r not in PUBLIC])
def test_every_view_answers_every_role_below_500(
    cached_fleet, noc, tenant_admin, viewer, client_of, route
):
    for user in (noc, tenant_admin, viewer):
        response = client_of(user).get(_path(route))
        assert response.status_code < 500, (route, user.username, response.status_code)


def _writes(sim) -> int:
    counts = sim.request_log(last=0)["counts"]
    return sum(n for key, n in counts.items() if not key.startswith("GET "))


OBJECT_ROUTES = [
    r for r in ROUTES if any(f"<int:{n}>" in r for n in ("view_id", "note_id", "campaign_id"))
]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("route", OBJECT_ROUTES)
def test_an_outsider_gets_404_for_a_saved_view_note_or_campaign_not_theirs(
    cached_fleet, device_of_org, tenant_admin, outsider, client_of, route, method
):
    """Another organization's shared view, note (on the outsider's own device's URL and on
    its own) and campaign: 404 (405 where the method is not served); nothing changes."""
    from campaigns.models import Campaign
    from devices.note_models import Note
    from saved_views.models import SavedView

    theirs, mine = device_of_org(5), device_of_org(11)
    view, note, campaign = _objects_of_organization_5(theirs, tenant_admin)
    before = _writes(cached_fleet)
    client = client_of(outsider)
    for device_id in (theirs.id, mine.id):
        path = _path(route, device_id=device_id, **_ids(view, note, campaign))
        response = getattr(client, method)(path)
        assert response.status_code in (404, 405), (path, method, response.status_code)
    assert _writes(cached_fleet) == before
    assert SavedView.objects.filter(pk=view.pk, name="v", query={}).exists()
    assert Note.objects.filter(pk=note.pk, pinned=False).exists()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT


@pytest.mark.parametrize("route", [r for r in ROUTES if r not in PUBLIC | BENCHMARK_ONLY])
def test_every_view_answers_below_500_with_redis_down_for_objects_that_exist(
    cached_fleet, device_of_org, noc, tenant_admin, client_of, redis_down, route
):
    """The fleet cache unreachable: each page of a real device, saved view, note and
    campaign, by GET and POST, says so in words (or refuses) rather than answering 500."""

    device = device_of_org(5)
    view, note, campaign = _objects_of_organization_5(device, tenant_admin)
    path = _path(route, device_id=device.id, **_ids(view, note, campaign))
    for user in (noc, tenant_admin):
        for method in ("get", "post"):
            response = getattr(client_of(user), method)(path)
            # An export refused while its data cannot be read says so with a 503.
            code = response.status_code
            assert code < 500 or code == 503, (path, method, user.username, code)


# What a wall screen's account may still do: choose its wall, its organization, log out.
DISPLAY_MAY = {"wall/settings/", "organization/", "accounts/logout/"}


@pytest.mark.parametrize("noc_wide", [True, False], ids=["noc display", "tenant display"])
@pytest.mark.parametrize("route", [r for r in ROUTES if r not in PUBLIC | DISPLAY_MAY])
def test_the_display_role_changes_nothing_by_any_route(
    cached_fleet, device_of_org, tenant_admin, client_of, organizations, route, noc_wide
):
    """Every route, POSTed by a display account with real ids and plausible fields: nothing
    reaches the upstream, nothing is audited as done, no row of the new apps changes."""
    from accounts.models import AuditEntry, Role
    from campaigns.models import Campaign
    from devices.note_models import Note
    from saved_views.models import PinnedView, SavedView
    from tests.fixtures.users import ORG_A, make_user

    display = (
        make_user("wall-noc", noc_role=Role.DISPLAY)
        if noc_wide
        else make_user("wall-5", memberships=[(ORG_A, Role.DISPLAY)])
    )
    device = device_of_org(5)
    view, note, campaign = _objects_of_organization_5(device, tenant_admin)
    path = _path(route, device_id=device.id, **_ids(view, note, campaign))
    fields = {
        "name": "x", "text": "mine", "note": "mine", "query": "status=down", "share": "5",
        "key": "k" * 32, "confirm_name": device.name, "organization": "5", "image": "2",
    }  # fmt: skip
    before = _writes(cached_fleet)

    response = client_of(display).post(path, fields)

    assert response.status_code < 500, (path, response.status_code)
    assert _writes(cached_fleet) == before, path
    assert not AuditEntry.objects.filter(result=AuditEntry.Result.OK).exists(), path
    assert list(SavedView.objects.values_list("pk", "name")) == [(view.pk, "v")], path
    assert not PinnedView.objects.exists(), path
    assert list(Note.objects.values_list("pk", "pinned")) == [(note.pk, False)], path
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT and Campaign.objects.count() == 1, path
