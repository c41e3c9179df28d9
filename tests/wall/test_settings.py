"""The wall chooser: panels, their order and the seconds each stays, per user."""

from django.test import Client

from accounts.models import AuditEntry
from tests.fixtures.users import PASSWORD
from wall.models import WallSettings


def choose(client, **fields):
    data = {"seconds": "30", "position_overview": "", "position_triage": "",
            "position_profiles": ""}  # fmt: skip
    data.update(fields)
    return client.post("/wall/settings/", data)


def test_every_panel_is_shown_until_the_user_chooses(client_of, viewer):
    content = client_of(viewer).get("/wall/settings/").content.decode()

    assert '<a href="/wall/" aria-current="page">Wall</a>' in content
    assert '<option value="1" selected>' in content
    assert 'value="30"' in content


def test_a_choice_is_kept_per_user_audited_and_drawn_in_its_order(client_of, viewer, noc):
    client = client_of(viewer)
    response = choose(client, seconds="12", position_triage="1", position_overview="2")

    assert response.status_code == 302 and response["Location"] == "/wall/"
    kept = WallSettings.objects.get(user=viewer)
    assert kept.panels == ["triage", "overview"] and kept.seconds == 12
    entry = AuditEntry.objects.get(action="wall_settings")
    assert entry.username == "viewer" and entry.parameters["seconds"] == 12
    content = client.get("/wall/").content.decode()
    assert 'data-wall-rotate="12"' in content
    assert content.index('id="wall-panel-triage"') < content.index('id="wall-panel-overview"')
    assert 'id="wall-panel-profiles"' not in content
    # Another user's wall is untouched.
    assert 'data-wall-rotate="30"' in client_of(noc).get("/wall/").content.decode()


def test_two_panels_in_one_position_are_refused_in_words_keeping_the_input(client_of, viewer):
    response = choose(client_of(viewer), seconds="17", position_triage="1", position_overview="1")

    content = response.content.decode()
    assert response.status_code == 400
    assert "Overview and Down now both have position 1" in content
    assert 'value="17"' in content
    assert not WallSettings.objects.exists()


def test_seconds_out_of_bounds_are_refused_in_words(client_of, viewer):
    client = client_of(viewer)
    short = choose(client, seconds="2", position_triage="1")
    long = choose(client, seconds="99999", position_triage="1")
    garbage = choose(client, seconds="ten", position_triage="1")

    assert "Seconds per panel must be at least 5." in short.content.decode()
    assert 'value="2"' in short.content.decode()
    assert "at most 3600" in long.content.decode()
    assert "must be a whole number" in garbage.content.decode()
    assert not WallSettings.objects.exists()


def test_no_panel_at_all_is_refused_in_words(client_of, viewer):
    response = choose(client_of(viewer))

    assert response.status_code == 400
    assert "Choose at least one panel" in response.content.decode()


def test_a_position_not_offered_is_refused_in_words(client_of, viewer):
    response = choose(client_of(viewer), position_triage="9")

    assert response.status_code == 400
    assert "Down now: choose a position from the list." in response.content.decode()


def test_saving_needs_the_csrf_token(viewer, key_prefix):
    client = Client(enforce_csrf_checks=True)
    client.login(username=viewer.username, password=PASSWORD)

    response = choose(client, position_triage="1")

    assert response.status_code == 403
    assert not WallSettings.objects.exists()


def test_a_wall_account_chooses_its_own_panels(client_of, display):
    response = choose(client_of(display), seconds="20", position_overview="1")

    assert response.status_code == 302
    assert WallSettings.objects.get(user=display).panels == ["overview"]


def test_a_choice_stored_by_hand_that_makes_no_sense_shows_every_panel(client_of, viewer):
    WallSettings.objects.create(user=viewer, panels={"not": "a list"}, seconds=10)
    content = client_of(viewer).get("/wall/").content.decode()
    assert content.count('class="wall-panel"') == 3

    WallSettings.objects.filter(user=viewer).update(panels=[{"x": 1}, "gone", "profiles"])
    content = client_of(viewer).get("/wall/").content.decode()
    assert content.count('class="wall-panel"') == 1 and 'id="wall-panel-profiles"' in content


def test_the_audit_trail_names_a_wall_choice_in_words(client_of, noc):
    client = client_of(noc)
    choose(client, position_triage="1")

    content = client.get("/audit/").content.decode()

    assert "Choose the wall screen’s panels" in content
