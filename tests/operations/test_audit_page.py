"""The audit page's filters and its CSV export, inside the user's organizations."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import audit
from accounts.models import AuditEntry

pytestmark = pytest.mark.django_db


def record(user, org, **fields):
    return audit.record_action(
        user=user, action=fields.pop("action", "reboot"), result=fields.pop("result", audit.OK),
        organization_id=org, device_id=fields.pop("device_id", 1001),
        device_name=fields.pop("device_name", "cpe"),
        **fields,
    )  # fmt: skip


def ids(response):
    return [e.id for e in response.context["entries"]]


def export_rows(response):
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_it_filters_by_action_and_result(noc, operator, client_of):
    keep = record(operator, 5, action="sync", result=audit.UNKNOWN)
    record(operator, 5, action="sync")
    record(operator, 5, action="reboot", result=audit.UNKNOWN)
    response = client_of(noc).get("/audit/", {"action": "sync", "result": "unknown"})
    assert ids(response) == [keep.id]


def test_it_filters_by_user_device_and_organization(noc, operator, outsider, client_of):
    keep = record(operator, 5, device_id=42)
    record(operator, 5, device_id=43)
    record(outsider, 11, device_id=42)
    response = client_of(noc).get("/audit/", {"user": "operator", "device": 42, "organization": 5})
    assert ids(response) == [keep.id]


def test_it_filters_by_date_range(noc, operator, client_of):
    old = AuditEntry.objects.create(
        username="operator",
        action="reboot",
        result="ok",
        organization_id=5,
        created_at=timezone.now() - timedelta(days=10),
    )
    new = record(operator, 5)
    today = timezone.localdate()
    client = client_of(noc)
    assert ids(client.get("/audit/", {"since": str(today)})) == [new.id]
    until = str(today - timedelta(days=5))
    assert ids(client.get("/audit/", {"until": until})) == [old.id]


def test_a_tenant_cannot_filter_into_another_organization(tenant_admin, outsider, client_of):
    record(outsider, 11)
    response = client_of(tenant_admin).get("/audit/", {"organization": 11})
    assert ids(response) == []


def test_the_export_streams_the_filtered_entries(noc, operator, client_of):
    record(
        operator,
        5,
        action="sync",
        parameters={"firmware_image": 47},
        upstream_status=200,
        duration_ms=12,
    )
    record(operator, 5, action="reboot")
    response = client_of(noc).get("/audit/export.csv", {"action": "sync"})
    assert response.streaming
    assert response["Content-Type"] == "text/csv"
    rows = export_rows(response)
    assert [r["action"] for r in rows] == ["sync"]
    assert rows[0]["upstream_status"] == "200"
    assert "firmware_image" in rows[0]["parameters"]


def test_the_export_of_a_tenant_holds_their_organizations_only(
    tenant_admin, operator, outsider, client_of
):
    record(operator, 5)
    record(outsider, 11, device_name="x")
    rows = export_rows(client_of(tenant_admin).get("/audit/export.csv"))
    assert {r["organization_id"] for r in rows} == {"5"}


def test_the_export_never_holds_a_password(noc, operator, client_of):
    record(operator, 5, action="device_create", parameters={"password": "pw-9", "name": "n"})
    text = b"".join(client_of(noc).get("/audit/export.csv").streaming_content).decode()
    assert "pw-9" not in text


def test_the_export_needs_a_login(client):
    assert client.get("/audit/export.csv").status_code == 302


def test_the_filtered_table_answers_htmx_with_the_partial(noc, operator, client_of):
    record(operator, 5)
    response = client_of(noc).get("/audit/", {"action": "reboot"}, HTTP_HX_REQUEST="true")
    assert response.content.decode().lstrip().startswith('<div id="audit-table">')


def test_dates_in_the_wrong_order_are_said_in_words_and_kept(noc, operator, client_of):
    record(operator, 5)
    today = timezone.localdate()
    since, until = str(today), str(today - timedelta(days=3))

    response = client_of(noc).get("/audit/", {"since": since, "until": until})

    content = response.content.decode()
    assert response.status_code == 200
    assert f"{until} is before the “from” date {since}" in content
    assert f'value="{since}"' in content and f'value="{until}"' in content


@pytest.mark.parametrize(
    "query",
    [
        {"page": "99999999999999999999"}, {"page": "-1"}, {"page": "x"},
        {"since": "2024-02-30"}, {"since": "99999-01-01"}, {"action": "no such action"},
        {"device": "1e9"}, {"result": "maybe"}, {"user": "\x00"},
    ],
)  # fmt: skip
def test_odd_filter_values_never_break_the_page_or_the_export(noc, operator, client_of, query):
    record(operator, 5)
    client = client_of(noc)

    assert client.get("/audit/", query).status_code == 200
    assert client.get("/audit/export.csv", query).status_code in (200, 400)
