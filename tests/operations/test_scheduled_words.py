"""The scheduled operations page in words: the operation's name and the status it reports."""

import pytest

from operations.models import HeadlessRecord
from tests.fixtures.operations import schedule

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

    assert f"Transaction {record.txn_id}: the control API reports “Scheduled”." in content
    assert "“scheduled”" not in content
    assert f"{record.txn_id}: scheduled." not in content


def test_the_device_pages_link_lists_only_that_devices_operations(
    cached_fleet, device_of_org, fleet_devices, tenant_admin, client_of
):
    client = client_of(tenant_admin)
    mine = device_of_org(5)
    other = next(
        d for d in fleet_devices if d.organization_id == 5 and d.serial_number != mine.serial_number
    )
    schedule(client, mine.serial_number)
    schedule(client, other.serial_number)

    content = client.get("/operations/", {"serial": mine.serial_number.lower()}).content.decode()

    assert f"Showing the operations of serial <strong>{mine.serial_number.lower()}" in content
    assert mine.serial_number in content and other.serial_number not in content
    everything = client.get("/operations/").content.decode()
    assert mine.serial_number in everything and other.serial_number in everything


@pytest.mark.parametrize(
    ("code", "words", "tone"),
    [
        ("scheduled", "Scheduled", "pending"), ("pending", "Pending", "pending"),
        ("in_progress", "In progress", "pending"), ("completed", "Completed", "ok"),
        ("failed", "Failed", "failed"), ("awaiting_reply", "awaiting_reply", "unknown"),
    ],
)  # fmt: skip
def test_the_list_shows_the_status_in_words_as_a_badge(
    cached_fleet, device_of_org, tenant_admin, client_of, code, words, tone
):
    client = client_of(tenant_admin)
    schedule(client, device_of_org(5).serial_number)
    HeadlessRecord.objects.update(status=code)

    content = client.get("/operations/").content.decode()

    assert f'<span class="badge badge-{tone}">{words}</span>' in content
    if code != words:
        assert f"<td>{code}" not in content


def test_whether_the_device_is_online_reads_not_checked_until_a_refresh_asks(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    client = client_of(tenant_admin)
    schedule(client, device_of_org(5).serial_number)
    record = HeadlessRecord.objects.get()

    before = client.get("/operations/").content.decode()
    after = client.post(f"/operations/{record.pk}/refresh/", follow=True).content.decode()

    assert ">not checked yet</span></td>" in before
    assert "<td>—</td>" not in before
    assert "not checked yet" not in after
    assert "<td>yes</td>" in after
