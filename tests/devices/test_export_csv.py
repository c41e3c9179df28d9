"""CSV export: every device the filter matches, within the user's organizations, audited."""

import csv
import io

import pytest

from accounts.models import AuditEntry, Role
from fleet import polling
from tests.fixtures.users import ORG_A, ORG_B, ORG_OTHER, make_user


@pytest.fixture
def polled(model, api_factory, poll_config, still_fleet, cache_settings):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    return still_fleet


def exported(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_export_holds_every_matching_device_not_just_one_page(client_of, noc, polled, all_devices):
    response = client_of(noc).get("/devices/export.csv", {"status": "up", "per_page": "25"})

    rows = exported(response)
    assert response["Content-Type"].startswith("text/csv")
    assert {int(r["id"]) for r in rows} == {d.id for d in all_devices() if d.is_up}


def test_export_rows_carry_the_device_fields(client_of, noc, polled, all_devices):
    device = all_devices()[3]

    rows = exported(client_of(noc).get("/devices/export.csv", {"q": device.serial_number}))

    assert len(rows) == 1
    row = rows[0]
    assert (row["name"], row["serial_number"], row["status"]) == (
        device.name, device.serial_number, device.status,
    )  # fmt: skip
    assert row["organization_name"] == f"Test organization {device.organization_id}"
    assert not any("password" in column for column in row)


def test_a_tenant_export_holds_only_its_organizations_even_when_asked_for_another(
    client_of, tenant_admin, polled, all_devices
):
    client = client_of(tenant_admin)

    mine = exported(client.get("/devices/export.csv"))
    other = client.get("/devices/export.csv", {"organization": ORG_OTHER})

    assert {int(r["organization_id"]) for r in mine} == {ORG_A}
    assert len(mine) == sum(d.organization_id == ORG_A for d in all_devices())
    assert other.status_code == 400


def test_export_is_audit_logged_with_its_filter(client_of, noc, polled):
    exported(client_of(noc).get("/devices/export.csv", {"status": "down", "organization": ORG_B}))

    entry = AuditEntry.objects.get(action="export")
    assert entry.parameters["status"] == "down" and entry.organization_id == ORG_B


def test_without_redis_the_export_says_why(client_of, noc, redis_down):
    response = client_of(noc).get("/devices/export.csv")

    assert response.status_code == 503
    assert b"Redis" in response.content


def test_the_page_links_the_export_with_the_same_filter(client_of, noc, polled):
    content = client_of(noc).get("/devices/", {"status": "down", "page": "2"}).content.decode()

    assert 'href="/devices/export.csv?status=down"' in content


def test_formula_like_values_are_defused_in_every_column(
    client_of, noc, still_fleet, poll, organizations, all_devices
):
    """An organization's name and a pending entry come from people and the upstream too:
    a spreadsheet opening the export must run none of them."""
    device = next(d for d in all_devices() if d.organization_id == ORG_A)
    still_fleet.answer_fields(device.id, name="=1+2", pending_settings="=HYPERLINK(1):x")
    organizations[ORG_A].name = "@SUM(A1)"
    organizations[ORG_A].save()
    poll()

    rows = exported(client_of(noc).get("/devices/export.csv", {"q": device.serial_number}))

    assert len(rows) == 1
    assert rows[0]["name"] == "'=1+2"
    assert rows[0]["pending_settings"] == "'=HYPERLINK(1):x"
    assert rows[0]["organization_name"] == "'@SUM(A1)"


def test_a_search_holding_a_nul_character_exports_instead_of_failing(
    client_of, noc, polled, all_devices
):
    """The export's audit entry keeps the search; PostgreSQL refuses a NUL in it."""
    device = all_devices()[3]

    response = client_of(noc).get("/devices/export.csv", {"q": "\x00" + device.serial_number})

    assert response.status_code == 200
    assert [r["id"] for r in exported(response)] == [str(device.id)]
    assert AuditEntry.objects.get(action="export").parameters["q"] == device.serial_number


def test_a_wall_screens_display_account_may_not_export_the_fleet(client_of, polled, organizations):
    """Before, the display account of a wall screen (which sees and never acts, and may not
    export a report) downloaded every device of every organization as CSV."""
    display = client_of(make_user("wall", noc_role=Role.DISPLAY))

    refused = display.get("/devices/export.csv")
    page = display.get("/devices/").content.decode()

    assert refused.status_code == 403
    assert "Your role does not allow exporting devices" in refused.content.decode()
    assert "Export CSV" not in page
    assert not AuditEntry.objects.filter(action="export").exists()


def test_a_display_account_exports_only_where_another_role_allows(
    client_of, polled, organizations, all_devices
):
    mixed = make_user("mixed", memberships=[(ORG_A, Role.DISPLAY), (ORG_B, Role.VIEWER)])
    rows = exported(client_of(mixed).get("/devices/export.csv"))

    assert rows and {int(r["organization_id"]) for r in rows} == {ORG_B}
