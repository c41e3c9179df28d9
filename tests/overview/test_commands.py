"""manage.py create_member and demo_setup."""

import re
import socket

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from accounts import tenancy
from accounts.models import NocRole, Organization, Role

PW = "a-long-demo-passphrase-42"


def create_member(*args):
    call_command("create_member", *args)


# --- create_member -----------------------------------------------------------


def test_create_member_creates_user_organization_and_membership(db):
    create_member("alice", "--password", PW, "--organization", "5", "--role", "operator")
    alice = authenticate(username="alice", password=PW)
    assert alice is not None
    assert tenancy.role_for(alice, 5) == Role.OPERATOR
    assert Organization.objects.get(upstream_id=5).name == "Organization 5"


def test_create_member_names_a_new_organization(db):
    create_member(
        "alice", "--password", PW, "--organization", "5", "--role", "viewer",
        "--organization-name", "Andes Fiber ISP",
    )  # fmt: skip
    assert Organization.objects.get(upstream_id=5).name == "Andes Fiber ISP"


def test_create_member_updates_the_role_and_keeps_the_password(db):
    create_member("alice", "--password", PW, "--organization", "5", "--role", "viewer")
    create_member("alice", "--organization", "5", "--role", "admin")
    alice = authenticate(username="alice", password=PW)
    assert tenancy.role_for(alice, 5) == Role.ADMIN


def test_create_member_adds_a_second_organization(db):
    create_member("alice", "--password", PW, "--organization", "5", "--role", "viewer")
    create_member("alice", "--organization", "7", "--role", "operator")
    alice = authenticate(username="alice", password=PW)
    assert tenancy.scope_for(alice).ids == {5, 7}


def test_create_member_makes_noc_staff(db):
    create_member("nina", "--password", PW, "--noc", "--role", "admin")
    nina = authenticate(username="nina", password=PW)
    assert NocRole.objects.get(user=nina).role == Role.ADMIN
    assert tenancy.scope_for(nina, tenancy.FACTORY_RESET).all


def test_create_member_says_what_it_did(db, capsys):
    create_member("alice", "--password", PW, "--organization", "5", "--role", "viewer")
    assert "Created user alice: viewer of organization 5." in capsys.readouterr().out


def test_create_member_needs_a_password_for_a_new_user(db):
    with pytest.raises(CommandError, match="password is required"):
        create_member("alice", "--organization", "5", "--role", "viewer")
    assert not Organization.objects.exists()


def test_create_member_refuses_a_weak_password(db):
    with pytest.raises(CommandError, match="Password rejected"):
        create_member("alice", "--password", "12345", "--organization", "5", "--role", "viewer")


@pytest.mark.parametrize("bad", ["0", "-4", "five"])
def test_create_member_refuses_a_bad_organization_id(db, bad):
    with pytest.raises(CommandError, match="positive whole number"):
        create_member("alice", "--password", PW, "--organization", bad, "--role", "viewer")


def test_create_member_refuses_an_unknown_role(db):
    with pytest.raises(CommandError, match="invalid choice: 'owner'"):
        create_member("alice", "--password", PW, "--organization", "5", "--role", "owner")


def test_create_member_wants_an_organization_or_noc_not_both(db):
    with pytest.raises(CommandError, match="not allowed with argument"):
        create_member("alice", "--password", PW, "--organization", "5", "--noc", "--role", "admin")


def test_create_member_wants_an_organization_or_noc(db):
    with pytest.raises(CommandError, match="one of the arguments --organization --noc"):
        create_member("alice", "--password", PW, "--role", "admin")


# --- demo_setup --------------------------------------------------------------


def demo_table(capsys):
    """{username: (password, role, scope)} from the printed table."""
    rows = {}
    for line in capsys.readouterr().out.splitlines():
        parts = re.split(r"\s{2,}", line.strip())
        if len(parts) == 4 and parts[0] in {"noc", "tenant-admin", "operator", "viewer", "wall"}:
            rows[parts[0]] = tuple(parts[1:])
    return rows


@pytest.fixture
def demo_settings(settings, simulator):
    settings.DEBUG = True
    settings.CONTROL_API_URL = simulator.api_url
    settings.SIMULATOR_CONTROL_TOKEN = simulator.control_token
    return settings


def test_demo_setup_takes_the_organizations_and_names_from_the_simulator(
    db, demo_settings, sim_control
):
    call_command("demo_setup")
    expected = {org["id"]: org["name"] for org in sim_control.organizations()}
    assert dict(Organization.objects.values_list("upstream_id", "name")) == expected


def test_demo_setup_prints_passwords_that_log_in_with_the_demo_roles(db, demo_settings, capsys):
    call_command("demo_setup")
    table = demo_table(capsys)
    assert set(table) == {"noc", "tenant-admin", "operator", "viewer", "wall"}
    users = {name: authenticate(username=name, password=row[0]) for name, row in table.items()}
    assert tenancy.scope_for(users["noc"], tenancy.FACTORY_RESET).all
    assert tenancy.scope_for(users["tenant-admin"], tenancy.FACTORY_RESET).ids == {5}
    assert tenancy.scope_for(users["operator"], tenancy.REBOOT).ids == {5, 7}
    assert tenancy.scope_for(users["viewer"]).ids == {7}
    assert tenancy.scope_for(users["viewer"], tenancy.REBOOT).is_empty
    assert tenancy.scope_for(users["wall"]).all and tenancy.is_display_only(users["wall"])
    assert tenancy.scope_for(users["wall"], tenancy.AUDIT).is_empty


def test_demo_setup_run_again_resets_passwords_and_roles(db, demo_settings, capsys):
    call_command("demo_setup")
    first = demo_table(capsys)
    create_member("viewer", "--organization", "11", "--role", "admin")
    call_command("demo_setup")
    second = demo_table(capsys)
    assert first["viewer"][0] != second["viewer"][0]
    assert authenticate(username="viewer", password=first["viewer"][0]) is None
    viewer = authenticate(username="viewer", password=second["viewer"][0])
    assert tenancy.scope_for(viewer).ids == {7}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_setup_falls_back_to_known_organizations_and_says_so(db, settings, capsys):
    settings.DEBUG = True
    settings.CONTROL_API_URL = f"http://127.0.0.1:{free_port()}/api/v1"  # nothing listens there
    call_command("demo_setup")
    output = capsys.readouterr()
    assert "Could not read the organizations" in output.err
    assert set(Organization.objects.values_list("upstream_id", flat=True)) == {5, 7}
    assert "tenant-admin" in output.out


def test_demo_setup_refuses_to_run_in_production(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=1"):
        call_command("demo_setup")
    assert not Organization.objects.exists()
