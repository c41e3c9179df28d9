"""A connection profile turned failing (the profile poll of the simulator over real HTTP,
judged by the health rules) notifies once after the rule's delay and its recovery once; one
healthy again within the delay sends nothing; a tenant's rule hears only of the profiles its
organization's devices use (a device's type is its connection profile id) and that it may
see (the profile names the organization, tenancy.visible_profiles); a storm names its
devices' shared profile and its health, to a tenant only when it may see that profile."""

import json

import pytest

from devices import tasks
from tests.fixtures.users import ORG_A

pytestmark = pytest.mark.django_db

# Profile 12 of the session simulator is healthy; devices of type 12 are in every
# organization but 23. Profiles 18 and 19 fail from the start and are no device's type.
PROFILE = 12
FAILING_FROM_THE_START = {18, 19}
SECRET_IN_ERROR = "pr0file-Pa55"
FAILING = {
    "health_status": {
        "connectivity": "unreachable",
        "authentication": "valid",
        "last_error": f"connect to https://sync:{SECRET_IN_ERROR}@erp.example failed",
        "error_count_24h": 0,
    },
}
HEALTHY = {
    "health_status": {
        "connectivity": "healthy",
        "authentication": "valid",
        "last_error": None,
        "error_count_24h": 0,
    },
}


def _poll_profiles(alerts, fields=None):
    if fields is not None:
        alerts.sim.profile_fields(PROFILE, **fields)
    tasks.poll_profiles.apply().get()


def _bodies(receiver):
    return [json.loads(r["body"]) for r in receiver.requests]


@pytest.fixture
def profiles_polled(alerts, organizations):
    # Profile 12 is organization 5's: it names that organization, as the profile pages ask.
    alerts.sim.profile_fields(PROFILE, organization=organizations[ORG_A].name)
    _poll_profiles(alerts)
    return alerts


ELSEWHERE = "Another organization entirely"


@pytest.fixture
def profile_elsewhere(alerts, organizations):
    """Profile 12, failing, named for another organization than 5 (whose devices use it);
    its name as the profile poll stored it."""
    alerts.sim.profile_fields(PROFILE, organization=ELSEWHERE, **FAILING)
    _poll_profiles(alerts)
    return next(p.name for p in alerts.model.read_profiles().items if p.id == PROFILE)


def test_a_profile_turning_failing_notifies_once_after_the_delay_and_its_recovery_once(
    profiles_polled, http_receiver, smtp_server
):
    alerts = profiles_polled
    alerts.rule(
        organization_id=5, events=["profile_failing"],
        destination_urls=[f"json://{http_receiver.url}/hook", "mailto://oncall@example.com"],
    )  # fmt: skip
    assert alerts.evaluate() == []  # healthy: nothing opens
    _poll_profiles(alerts, FAILING)

    assert alerts.evaluate(after=10) == []  # within the delay
    sent = alerts.evaluate(after=71)
    assert [d.event for d in sent] == ["profile_failing", "profile_failing"]
    assert alerts.evaluate(after=200) == []

    (body,) = _bodies(http_receiver)
    assert body["profile"]["id"] == PROFILE and body["profile"]["state"] == "failing"
    assert body["profile"]["reasons"] == ["Connectivity is failing: reported as “unreachable”"]
    assert body["link"] == f"https://noc.example.com/profiles/{PROFILE}/"
    (mail,) = smtp_server.messages
    assert mail["text"].startswith(f"Connection profile {body['profile']['name']} is failing")
    assert "Health: failing" in mail["text"] and "unreachable" in mail["text"]
    everything = json.dumps(_bodies(http_receiver)) + str(smtp_server.messages)
    assert SECRET_IN_ERROR not in everything and "erp.example" not in everything

    _poll_profiles(alerts, HEALTHY)
    sent = alerts.evaluate(after=210)
    assert [d.event for d in sent] == ["profile_recovered", "profile_recovered"]
    assert alerts.evaluate(after=400) == []
    assert [b["event"] for b in _bodies(http_receiver)] == ["profile_failing", "profile_recovered"]
    assert "is no longer failing (healthy)" in smtp_server.messages[1]["text"]


def test_a_profile_healthy_again_within_the_delay_sends_nothing(profiles_polled, http_receiver):
    alerts = profiles_polled
    alerts.rule(organization_id=5, events=["profile_failing"],
                destination_urls=[f"json://{http_receiver.url}/hook"])  # fmt: skip
    _poll_profiles(alerts, FAILING)
    assert alerts.evaluate(after=10) == []
    _poll_profiles(alerts, HEALTHY)

    assert alerts.evaluate(after=71) == []
    assert alerts.evaluate(after=600) == []
    assert http_receiver.requests == []


def test_a_tenants_rule_hears_only_of_the_profiles_its_organizations_devices_use(
    profiles_polled, http_receiver
):
    alerts = profiles_polled
    ours = alerts.rule(name="Ours", organization_id=5, events=["profile_failing"],
                       destination_urls=[f"json://{http_receiver.url}/ours"])  # fmt: skip
    # Organization 23 has no device of type 12.
    alerts.rule(name="Theirs", organization_id=23, events=["profile_failing"],
                destination_urls=[f"json://{http_receiver.url}/theirs"])  # fmt: skip
    fleet_wide = alerts.rule(name="Fleet", events=["profile_failing"],
                             destination_urls=[f"json://{http_receiver.url}/fleet"])  # fmt: skip
    _poll_profiles(alerts, FAILING)
    assert alerts.evaluate() == []  # the conditions open; the delay counts from here

    sent = alerts.evaluate(after=61)

    heard = {(d.rule_id, d.body["profile"]["id"]) for d in sent}
    assert (ours.pk, PROFILE) in heard
    assert {p for r, p in heard if r == ours.pk} == {PROFILE}
    assert {p for r, p in heard if r == fleet_wide.pk} >= {PROFILE} | FAILING_FROM_THE_START
    assert all(r in (ours.pk, fleet_wide.pk) for r, _ in heard)
    assert not [r for r in http_receiver.requests if r["path"].endswith("/theirs")]


def test_a_storm_names_its_devices_shared_profile_and_its_health(
    profiles_polled, all_devices, http_receiver
):
    alerts = profiles_polled
    _poll_profiles(alerts, FAILING)
    alerts.rule(organization_id=5, destination_urls=[f"json://{http_receiver.url}/hook"],
                storm_threshold=3)  # fmt: skip
    chosen = [d for d in all_devices() if d.status == "Up" and d.organization_id == 5
              and d.type == PROFILE][:4]  # fmt: skip
    assert len(chosen) == 4
    for device in chosen:
        alerts.sim.set_status(device.id, up=False)
    alerts.poll()

    assert [d.event for d in alerts.evaluate(after=61)] == ["storm"]

    (body,) = _bodies(http_receiver)
    (type_fact,) = [f for f in body["group"]["shared"] if f["fact"] == "type"]
    assert type_fact["value"] == PROFILE
    assert type_fact["profile"]["state"] == "failing"
    name = type_fact["profile"]["name"]
    assert f"(connection profile {name}: failing)" in body["group"]["summary"]


def test_a_tenants_rule_hears_nothing_of_a_profile_named_for_another_organization(
    alerts, profile_elsewhere, http_receiver, client_of, tenant_admin, organizations
):
    """Before, organization 5's rules sent "Connection profile <name> is failing" of
    another organization's profile, while /profiles/12/ answered its admins 404."""
    hook = f"json://{http_receiver.url}"
    alerts.rule(name="Ours", organization_id=ORG_A, events=["profile_failing"],
                destination_urls=[f"{hook}/ours"])  # fmt: skip
    typed = alerts.rule(name="Ours, type 12", organization_id=ORG_A, type_id=PROFILE,
                        events=["profile_failing"], destination_urls=[f"{hook}/typed"])  # fmt: skip
    alerts.rule(name="Fleet", events=["profile_failing"], destination_urls=[f"{hook}/fleet"])
    assert alerts.evaluate() == []  # the conditions open; the delay counts from here

    alerts.evaluate(after=61)

    heard = {(r["path"], json.loads(r["body"])["profile"]["id"]) for r in http_receiver.requests}
    assert ("/fleet", PROFILE) in heard
    assert {path for path, _ in heard} == {"/fleet"}
    tenant = client_of(tenant_admin)
    assert tenant.get(f"/profiles/{PROFILE}/").status_code == 404
    page = tenant.get(f"/alerts/{typed.pk}/").content.decode()
    assert (
        f"Device type #{PROFILE} names no connection profile of this organization in the last "
        "profile poll, so this rule sends no “Connection profile failing” message" in page
    )
    assert profile_elsewhere not in page
    alerts.sim.profile_fields(PROFILE, organization=f"  {organizations[ORG_A].name.upper()} ")
    _poll_profiles(alerts)
    assert "names no connection profile" not in tenant.get(f"/alerts/{typed.pk}/").content.decode()


def test_a_tenants_storm_does_not_name_another_organizations_profile(
    alerts, profile_elsewhere, all_devices, http_receiver, smtp_server
):
    """Before, organization 5's grouped Down message said "(connection profile <name>:
    failing)" of another organization's profile its devices' type names."""
    hook = f"json://{http_receiver.url}"
    alerts.rule(name="Ours", organization_id=ORG_A, storm_threshold=3,
                destination_urls=[f"{hook}/ours", "mailto://oncall@example.com"])  # fmt: skip
    alerts.rule(name="Fleet", storm_threshold=3, destination_urls=[f"{hook}/fleet"])
    chosen = [d for d in all_devices() if d.status == "Up" and d.organization_id == ORG_A
              and d.type == PROFILE][:4]  # fmt: skip
    assert len(chosen) == 4
    for device in chosen:
        alerts.sim.set_status(device.id, up=False)
    alerts.poll()

    assert [d.event for d in alerts.evaluate(after=61)] == ["storm"] * 3

    bodies = {r["path"]: json.loads(r["body"]) for r in http_receiver.requests}
    (ours,) = [f for f in bodies["/ours"]["group"]["shared"] if f["fact"] == "type"]
    assert ours["value"] == PROFILE and "profile" not in ours
    assert profile_elsewhere not in json.dumps(bodies["/ours"])
    (mail,) = smtp_server.messages
    assert "They share:" in mail["text"] and profile_elsewhere not in mail["text"]
    (fleet,) = [f for f in bodies["/fleet"]["group"]["shared"] if f["fact"] == "type"]
    assert fleet["profile"]["name"] == profile_elsewhere
    assert (
        f"(connection profile {profile_elsewhere}: failing)" in bodies["/fleet"]["group"]["summary"]
    )
