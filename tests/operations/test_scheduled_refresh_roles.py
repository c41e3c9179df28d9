"""Who may ask the control API how a scheduled operation stands: the device's "Refresh now"
right in its organization. A viewer and a wall screen's display account see the list and
act on nothing (the simulator over real HTTP)."""

import pytest

from accounts.models import Role
from operations.models import HeadlessRecord
from tests.fixtures.operations import schedule
from tests.fixtures.users import ORG_A, make_user

pytestmark = pytest.mark.django_db


def status_reads(sim_control) -> int:
    """How many reads of a scheduled operation the simulator answered."""
    counts = sim_control.request_log(last=0)["counts"]
    return sum(n for call, n in counts.items() if call.startswith("GET") and "headless" in call)


@pytest.fixture
def scheduled_op(cached_fleet, device_of_org, tenant_admin, client_of):
    assert schedule(client_of(tenant_admin), device_of_org(ORG_A).serial_number).status_code == 302
    return HeadlessRecord.objects.get()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.DISPLAY])
def test_a_viewer_and_the_wall_account_see_no_refresh_and_cannot_post_one(
    scheduled_op, cached_fleet, client_of, role
):
    client = client_of(make_user(f"ops-{role}", memberships=[(ORG_A, role)]))
    listed = client.get("/operations/").content.decode()
    asked_before = status_reads(cached_fleet)

    posted = client.post(f"/operations/{scheduled_op.pk}/refresh/", follow=True).content.decode()

    assert scheduled_op.txn_id in listed and "Refresh status" not in listed
    assert "does not allow refreshing" in posted
    scheduled_op.refresh_from_db()
    assert scheduled_op.status_checked_at is None
    assert status_reads(cached_fleet) == asked_before


def test_an_operator_refreshes_the_status(scheduled_op, cached_fleet, client_of, operator):
    client = client_of(operator)
    assert "Refresh status" in client.get("/operations/").content.decode()
    before = status_reads(cached_fleet)
    client.post(f"/operations/{scheduled_op.pk}/refresh/")
    assert status_reads(cached_fleet) == before + 1
    scheduled_op.refresh_from_db()
    assert scheduled_op.status == "scheduled" and scheduled_op.status_checked_at is not None
