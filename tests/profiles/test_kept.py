"""One profile's page under upstream faults: it shows what is known (the snapshot, or
the copy kept from its last upstream read, each with its age) and, when nothing was
ever read, says why in the site's layout rather than answering as a failed server."""

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from accounts.models import Organization
from tests.fixtures.users import ORG_A


@pytest.fixture
def outage(sim_control):
    """The control API answers 503 to everything until the test ends."""

    def start():
        sim_control.set_faults(outage_seconds=3600)

    return start


def without_id(response, profile_id):
    """The page's main part with the profile id it names taken out."""
    text = response.content.decode()
    main = text[text.index('class="breadcrumbs"') : text.index("</main>")]
    return re.sub(rf"\b{profile_id}\b", "N", main)


def profile_with_organization(raw_profiles):
    return next(p for p in raw_profiles if p.get("organization"))


def test_before_the_first_poll_with_the_upstream_down_the_page_says_why(
    profile_model, upstream, outage, client_of, noc
):
    outage()
    response = client_of(noc).get("/profiles/3/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "Profile #3 cannot be read right now" in content
    assert (
        "The profiles have not been polled yet, and the control API could not be read either"
        in content
    )
    assert "Service temporarily unavailable (outage)." in content  # the upstream's own words
    assert "There is no earlier copy of this profile to show." in content
    assert 'href="/profiles/3/">Try again</a>' in content
    assert 'href="/profiles/">Connection profiles</a>' in content  # the site's layout


def test_before_the_first_poll_an_error_burst_is_told_in_words(
    profile_model, upstream, sim_control, client_of, noc
):
    sim_control.set_faults(next_errors=2, error_status=502)
    response = client_of(noc).get("/profiles/3/")
    assert response.status_code == 200
    assert "The control API failed on its side (502)" in response.content.decode()


def test_with_a_snapshot_and_the_upstream_down_the_page_shows_the_snapshot_with_its_age(
    polled, upstream, outage, client_of, noc
):
    profile = polled.items[0]
    outage()
    response = client_of(noc).get(f"/profiles/{profile.id}/")
    content = response.content.decode()
    assert response.status_code == 200
    assert profile.name in content
    assert "ago</time>, from the last profile poll." in content


def test_a_profile_missing_from_the_snapshot_is_read_from_the_upstream(
    polled, upstream, profile_model, client_of, noc
):
    # A profile created since the last poll: the snapshot does not have it yet.
    newest, *older = polled.items
    profile_model.write_profiles(older, as_of=polled.as_of)
    response = client_of(noc).get(f"/profiles/{newest.id}/")
    content = response.content.decode()
    assert response.status_code == 200
    assert newest.name in content
    assert "This profile was not in the last profile poll" in content
    assert "read directly from the control API instead" in content


# An outage, or a burst of errors long enough to outlast the page's one retry.
FAILURES = {"outage": {"outage_seconds": 3600}, "error burst": {"next_errors": 2}}


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_a_profile_read_once_is_shown_from_the_kept_copy_when_the_upstream_fails(
    profile_model, upstream, raw_profiles, sim_control, client_of, noc, failure
):
    wanted = raw_profiles[2]
    client = client_of(noc)
    first = client.get(f"/profiles/{wanted['id']}/")  # no snapshot: read from the upstream
    assert "read from the control API." in first.content.decode()

    sim_control.set_faults(**failure)
    response = client.get(f"/profiles/{wanted['id']}/")
    content = response.content.decode()
    assert response.status_code == 200
    assert wanted["name"] in content
    assert "the control API could not be read either" in content
    assert "This is the copy last read from the control API." in content
    assert "ago</time>, when this profile was last read from the control API." in content


def test_after_the_snapshot_is_lost_a_profile_read_since_is_shown_from_the_kept_copy(
    polled, upstream, profile_model, redis_client, outage, client_of, noc
):
    profile = polled.items[1]
    redis_client.delete(profile_model.keys.profiles)  # Redis came back without it
    client = client_of(noc)
    assert client.get(f"/profiles/{profile.id}/").status_code == 200

    outage()
    content = client.get(f"/profiles/{profile.id}/").content.decode()
    assert profile.name in content
    assert "when this profile was last read from the control API" in content


def test_a_kept_copy_is_shown_only_to_those_whose_organization_it_names(
    profile_model, upstream, raw_profiles, outage, client_of, noc, tenant_admin
):
    theirs = profile_with_organization(raw_profiles)
    client_of(noc).get(f"/profiles/{theirs['id']}/")  # kept
    outage()

    client = client_of(tenant_admin)
    hidden = client.get(f"/profiles/{theirs['id']}/")
    missing = client.get("/profiles/9999/")
    assert hidden.status_code == missing.status_code == 200
    assert theirs["name"] not in hidden.content.decode()
    # Word for word the answer a profile that does not exist gets.
    assert without_id(hidden, theirs["id"]) == without_id(missing, 9999)

    Organization.objects.filter(upstream_id=ORG_A).update(name=theirs["organization"])
    assert theirs["name"] in client.get(f"/profiles/{theirs['id']}/").content.decode()


def test_a_profile_the_upstream_no_longer_has_is_forgotten(
    polled, upstream, profile_model, outage, client_of, noc
):
    gone = replace(polled.items[0], id=9999, name="Decommissioned link")
    profile_model.keep_profile(gone, read_at=datetime.now(UTC))
    client = client_of(noc)
    assert client.get("/profiles/9999/").status_code == 404

    outage()
    response = client.get("/profiles/9999/")
    assert "Decommissioned link" not in response.content.decode()
    assert "Profile #9999 cannot be read right now" in response.content.decode()
