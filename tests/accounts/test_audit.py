"""The audit trail: recorded once, never changed, shown only inside the user's organizations."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts import audit
from accounts.models import AuditEntry
from overview.views import AUDIT_PAGE_SIZE
from tests.fixtures.users import ORG_A, ORG_B, ORG_OTHER


def entry(user, org_id, action="reboot", **fields):
    return audit.record_action(
        user=user,
        action=action,
        result=fields.pop("result", audit.OK),
        organization_id=org_id,
        device_id=fields.pop("device_id", 1001),
        device_name=fields.pop("device_name", f"cpe-{org_id}"),
        **fields,
    )


def shown_ids(response):
    return [e.id for e in response.context["entries"]]


# --- recording ---------------------------------------------------------------


def test_record_action_keeps_who_what_where_and_how_it_ended(operator):
    recorded = entry(
        operator, ORG_A, upstream_status=202, duration_ms=140, request_id="req-1", result=audit.OK
    )
    stored = AuditEntry.objects.get(pk=recorded.pk)
    assert (stored.username, stored.user_id) == ("operator", operator.pk)
    assert (stored.action, stored.organization_id, stored.device_id) == ("reboot", ORG_A, 1001)
    assert (stored.result, stored.upstream_status, stored.duration_ms) == ("ok", 202, 140)
    assert stored.request_id == "req-1"


def test_record_action_redacts_secrets_in_parameters(tenant_admin):
    recorded = entry(
        tenant_admin,
        ORG_A,
        action="device_create",
        parameters={"name": "cpe-9", "password": "hunter2", "extra": {"api_token": "abc"}},
    )
    stored = AuditEntry.objects.get(pk=recorded.pk).parameters
    assert stored == {
        "name": "cpe-9",
        "password": "[redacted]",
        "extra": {"api_token": "[redacted]"},
    }


def test_record_action_keeps_the_api_token_out_of_error_messages(operator, settings):
    settings.CONTROL_API_TOKEN = "tok-secret-123"
    recorded = entry(operator, ORG_A, result=audit.FAILED, error_message="401 for tok-secret-123")
    assert "tok-secret-123" not in AuditEntry.objects.get(pk=recorded.pk).error_message


def test_record_action_refuses_an_unknown_result(operator):
    with pytest.raises(ValueError, match="Unknown audit result"):
        entry(operator, ORG_A, result="maybe")


def test_an_entry_cannot_be_changed(operator):
    recorded = entry(operator, ORG_A)
    recorded.result = audit.FAILED
    with pytest.raises(PermissionDenied):
        recorded.save()
    assert AuditEntry.objects.get(pk=recorded.pk).result == audit.OK


def test_an_entry_cannot_be_deleted(operator):
    recorded = entry(operator, ORG_A)
    with pytest.raises(PermissionDenied):
        recorded.delete()
    assert AuditEntry.objects.filter(pk=recorded.pk).exists()


def test_entries_cannot_be_changed_or_deleted_in_bulk(operator):
    entry(operator, ORG_A)
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.filter(organization_id=ORG_A).update(result=audit.FAILED)
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().result == audit.OK


def test_deleting_a_user_keeps_their_entries(operator):
    recorded = entry(operator, ORG_A)
    operator.delete()
    assert AuditEntry.objects.get(pk=recorded.pk).username == "operator"


# --- the admin ---------------------------------------------------------------


def test_admin_lists_entries(client_of, superuser):
    entry(superuser, ORG_A)
    response = client_of(superuser).get("/admin/dashboard/auditentry/")
    assert response.status_code == 200
    assert b"cpe-5" in response.content


def test_admin_offers_no_way_to_add_an_entry(client_of, superuser):
    assert client_of(superuser).get("/admin/dashboard/auditentry/add/").status_code == 403


def test_admin_will_not_save_changes_to_an_entry(client_of, superuser):
    recorded = entry(superuser, ORG_A)
    url = f"/admin/dashboard/auditentry/{recorded.pk}/change/"
    response = client_of(superuser).post(url, {"result": "failed", "username": "someone"})
    assert response.status_code == 403
    assert AuditEntry.objects.get(pk=recorded.pk).username == "root"


def test_admin_will_not_delete_an_entry(client_of, superuser):
    recorded = entry(superuser, ORG_A)
    url = f"/admin/dashboard/auditentry/{recorded.pk}/delete/"
    response = client_of(superuser).post(url, {"post": "yes"})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(pk=recorded.pk).exists()


# --- the audit page ----------------------------------------------------------


def test_audit_page_shows_entries_of_the_users_organizations_only(client_of, operator, outsider):
    ours = entry(operator, ORG_A)
    theirs = entry(outsider, ORG_OTHER, device_name="their-secret-cpe")
    response = client_of(operator).get("/audit/")
    assert shown_ids(response) == [ours.id]
    assert b"their-secret-cpe" not in response.content
    assert theirs.id not in shown_ids(response)


def test_audit_page_of_an_outsider_never_shows_our_entries(client_of, operator, outsider):
    entry(operator, ORG_A, device_name="our-cpe")
    response = client_of(outsider).get("/audit/")
    assert shown_ids(response) == []
    assert b"our-cpe" not in response.content


def test_audit_page_for_noc_shows_every_organization(client_of, noc, operator, outsider):
    entries = [entry(operator, ORG_A), entry(outsider, ORG_OTHER)]
    response = client_of(noc).get("/audit/")
    assert set(shown_ids(response)) == {e.id for e in entries}


def test_audit_page_lists_newest_first(client_of, viewer):
    older = entry(viewer, ORG_A)
    AuditEntry.objects.create(
        username="viewer",
        action="sync",
        result=audit.OK,
        organization_id=ORG_B,
        created_at=older.created_at - timedelta(hours=1),
    )
    newer = entry(viewer, ORG_B)
    ids = shown_ids(client_of(viewer).get("/audit/"))
    assert ids[:2] == [newer.id, older.id]
    assert len(ids) == 3


def test_audit_page_follows_the_active_organization(client_of, viewer):
    entry(viewer, ORG_A)
    in_b = entry(viewer, ORG_B)
    client = client_of(viewer)
    client.post("/organization/", {"organization": ORG_B})
    assert shown_ids(client.get("/audit/")) == [in_b.id]


def test_audit_page_is_paginated(client_of, noc):
    now = timezone.now()
    AuditEntry.objects.bulk_create(
        AuditEntry(
            username="noc",
            action="reboot",
            result=audit.OK,
            organization_id=ORG_A,
            created_at=now - timedelta(seconds=i),
        )
        for i in range(AUDIT_PAGE_SIZE + 3)
    )
    client = client_of(noc)
    first = client.get("/audit/")
    second = client.get("/audit/?page=2")
    assert len(shown_ids(first)) == AUDIT_PAGE_SIZE
    assert len(shown_ids(second)) == 3
    assert b'href="?page=2"' in first.content


def test_audit_page_links_keep_the_filters(client_of, noc):
    now = timezone.now()
    AuditEntry.objects.bulk_create(
        AuditEntry(
            username="noc",
            action="reboot",
            result=audit.OK,
            organization_id=ORG_A,
            created_at=now - timedelta(seconds=i),
        )
        for i in range(AUDIT_PAGE_SIZE + 3)
    )
    first = client_of(noc).get("/audit/?action=reboot")
    assert b'href="?action=reboot&amp;page=2"' in first.content


def test_audit_page_htmx_request_gets_only_the_table(client_of, operator):
    entry(operator, ORG_A)
    response = client_of(operator).get("/audit/", HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="audit-table">')
    assert "<html" not in content
    assert "cpe-5" in content


def test_audit_page_varies_on_the_htmx_header(client_of, operator):
    assert "HX-Request" in client_of(operator).get("/audit/")["Vary"]


def test_audit_page_tells_when_there_is_nothing_yet(client_of, operator):
    assert b"No actions recorded" in client_of(operator).get("/audit/").content


def test_audit_page_names_the_organization_of_each_entry(client_of, operator, organizations):
    organizations[ORG_A].name = "Andes Fiber ISP"
    organizations[ORG_A].save()
    entry(operator, ORG_A)
    assert b"Andes Fiber ISP" in client_of(operator).get("/audit/").content


def test_audit_export_cells_a_spreadsheet_would_run_as_formulas_are_defused(client_of, noc):
    # A device name and an upstream error are text others typed; opened in a spreadsheet,
    # "=HYPERLINK(...)" or "@SUM(...)" would run.
    entry(noc, ORG_A, device_name='=HYPERLINK("http://evil.example","x")',
          error_message="@SUM(1+1)")  # fmt: skip

    response = client_of(noc).get("/audit/export.csv")

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header, row = rows[0], rows[1]
    cells = dict(zip(header, row, strict=True))
    assert cells["device_name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert cells["error_message"] == "'@SUM(1+1)"
