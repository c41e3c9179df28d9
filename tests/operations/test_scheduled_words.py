"""The scheduled operations page in words: the operation's name and the status it reports."""

import pytest

from operations.models import HeadlessRecord
from tests.operations.fixtures import (  # noqa: F401 -- fixtures, used by name
    cached_fleet,
    device_of_org,
    fleet_devices,
    upstream,
)
from tests.operations.test_maintenance_and_scheduled import schedule
from tests.users import client_of, organizations, tenant_admin  # noqa: F401 -- fixtures

pytestmark = pytest.mark.django_db


def test_the_list_names_the_operation_in_words(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    client = client_of(tenant_admin)
    schedule(client, device_of_org(5).serial_number)

    content = client.get("/operations/").content.decode()

    assert "<td>Firmware update</td>" in content
    assert "<td>firmware_update</td>" not in content


def test_a_status_refresh_says_what_the_control_api_reports(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    client = client_of(tenant_admin)
    schedule(client, device_of_org(5).serial_number)
    record = HeadlessRecord.objects.get()

    content = client.post(f"/operations/{record.pk}/refresh/", follow=True).content.decode()

    assert f"Transaction {record.txn_id}: the control API reports “scheduled”." in content
    assert f"{record.txn_id}: scheduled." not in content
