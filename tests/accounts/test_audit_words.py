"""The audit trail in words: actions and parameters as a NOC engineer reads them, the CSV's
parameters as JSON, and an organization the page will not use said plainly."""

import csv
import io
import json

import pytest

from accounts import audit
from devices.device_actions import ACTIONS
from tests.fixtures.users import ORG_A, ORG_B, ORG_OTHER


def record(user, org_id, action, parameters):
    return audit.record_action(
        user=user, action=action, result=audit.OK, organization_id=org_id,
        device_id=1001, device_name="cpe-1", parameters=parameters,
    )  # fmt: skip


def test_a_scheduled_operation_reads_as_words_not_its_code_name(client_of, noc, tenant_admin):
    record(tenant_admin, ORG_A, "headless_create", {"operation_type": "firmware_update"})

    content = client_of(noc).get("/audit/").content.decode()

    assert "Schedule an operation by serial number" in content
    assert "headless_create" not in content


def test_every_device_action_has_words_in_the_trail():
    assert set(ACTIONS) <= set(audit.ACTION_LABELS)


def test_an_empty_parameter_reads_as_none_given(client_of, noc, tenant_admin):
    record(
        tenant_admin, ORG_A, "maintenance",
        {"operational_status": "maintenance", "assigned_user": None, "maintenance_notes": ""},
    )  # fmt: skip

    content = client_of(noc).get("/audit/").content.decode()

    assert "no assigned user" in content and "no maintenance notes" in content
    assert "operational status: maintenance" in content
    assert "assigned_user=None" not in content and "None" not in content


def test_the_csv_holds_the_parameters_as_json_with_secrets_masked(client_of, noc, tenant_admin):
    record(
        tenant_admin, ORG_A, "device_create",
        {"name": "cpe-9", "password": "hunter2", "assigned_user": None, "tags": ["a", "b"]},
    )  # fmt: skip

    body = b"".join(client_of(noc).get("/audit/export.csv").streaming_content).decode()

    (row,) = csv.DictReader(io.StringIO(body))
    assert json.loads(row["parameters"]) == {
        "name": "cpe-9", "password": "[redacted]", "assigned_user": None, "tags": ["a", "b"],
    }  # fmt: skip
    assert "hunter2" not in body


def test_noc_switched_to_one_organization_filtering_another_is_told_why(client_of, noc):
    client = client_of(noc)
    client.post("/organization/", {"organization": ORG_B})

    content = client.get("/audit/", {"organization": ORG_A}).content.decode()

    assert "not one of the available choices" not in content
    assert "not one of your organizations" not in content
    assert "You are switched to Test organization 7 (#7)" in content


def test_a_tenant_filtering_another_organization_is_told_it_is_not_theirs(client_of, tenant_admin):
    content = client_of(tenant_admin).get("/audit/", {"organization": ORG_OTHER}).content.decode()

    assert "not one of the available choices" not in content
    assert f"You cannot see organization #{ORG_OTHER}: it is not one of your organizations." in (
        content
    )


def test_the_action_filter_takes_the_words_the_page_shows(client_of, noc, tenant_admin):
    kept = record(tenant_admin, ORG_A, "headless_create", {})
    record(tenant_admin, ORG_A, "reboot", {})

    response = client_of(noc).get("/audit/", {"action": "schedule an operation by serial number"})

    assert [e.id for e in response.context["entries"]] == [kept.id]


def test_noc_filtering_an_organization_the_dashboard_does_not_know_is_told_so(client_of, noc):
    content = client_of(noc).get("/audit/", {"organization": 99999}).content.decode()

    assert "not one of your organizations" not in content
    assert "No organization #99999 is known to the dashboard." in content


def test_an_organization_filter_that_is_not_a_number_is_said_in_words(client_of, noc):
    content = client_of(noc).get("/audit/", {"organization": "abc"}).content.decode()

    assert "not one of the available choices" not in content
    assert "Organization “abc” is not an organization id (a whole number)." in content


def test_a_tenants_audit_export_of_another_organization_is_a_page_saying_so(
    client_of, tenant_admin
):
    response = client_of(tenant_admin).get("/audit/export.csv", {"organization": ORG_OTHER})

    content = response.content.decode()
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert 'class="topbar"' in content
    assert f"You cannot export organization #{ORG_OTHER}: it is not one of your organizations." in (
        content
    )


def test_parameters_read_in_the_same_order_whatever_order_the_database_kept():
    """PostgreSQL's JSON sorts keys its own way, SQLite keeps them as written: the page must
    read the same on both."""
    written = {"operational_status": "maintenance", "assigned_user": None}
    stored = dict(reversed(written.items()))

    assert audit.describe_parameters(written) == audit.describe_parameters(stored)
    assert audit.describe_parameters(written) == "no assigned user; operational status: maintenance"


@pytest.mark.parametrize("action", ["claim_group", "release_group_claim", "saved_view_merge"])
def test_the_action_filter_takes_the_words_shown_for_any_action(
    client_of, noc, tenant_admin, action
):
    kept = record(tenant_admin, ORG_A, action, {})
    record(tenant_admin, ORG_A, "reboot", {})
    client = client_of(noc)
    shown = audit.action_label(action)

    response = client.get("/audit/", {"action": shown})

    assert [e.id for e in response.context["entries"]] == [kept.id]


def test_the_action_filter_takes_part_of_what_the_trail_shows(client_of, noc, tenant_admin):
    """Before, "maintenance" or "schedule" found nothing: only a whole label or a code name."""
    record(tenant_admin, ORG_A, "headless_create", {"operation_type": "firmware_update"})
    record(tenant_admin, ORG_A, "maintenance_window_create", {"reason": "ring"})
    record(tenant_admin, ORG_A, "reboot", {})
    client = client_of(noc)

    def shown(typed):
        page = client.get("/audit/", {"action": typed}).content.decode()
        return {label for label in (
            "Schedule an operation by serial number", audit.action_label("reboot"),
            audit.action_label("maintenance_window_create"),
        ) if f"<td>{label}</td>" in page}  # fmt: skip

    assert shown("schedule") == {"Schedule an operation by serial number"}
    assert shown("Maintenance") == {audit.action_label("maintenance_window_create")}
    assert shown("reboot") == {audit.action_label("reboot")}
    assert shown("headless_create") == {"Schedule an operation by serial number"}
    assert shown("no such thing") == set()


def test_filters_refused_are_said_where_the_filtered_list_is(client_of, noc, tenant_admin):
    """Before, reversed dates filtered through the page's script (which swaps only the list)
    showed "No actions recorded … match these filters yet": the reason was in the form,
    which the list does not replace."""
    record(tenant_admin, ORG_A, "reboot", {})
    answer = client_of(noc).get(
        "/audit/", {"since": "2026-12-06", "until": "2026-12-01"}, HTTP_HX_REQUEST="true"
    )

    part = answer.content.decode()
    assert "Nothing is shown: To (date, inclusive): 2026-12-01 is before" in part
    assert "No actions recorded" not in part and "Export CSV" not in part
