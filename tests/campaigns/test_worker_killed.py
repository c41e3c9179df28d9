"""A real Celery worker killed (SIGKILL, with its pool processes) in the middle of a wave:
beat steps the campaign again, a second worker takes it over once the dead one's lease has
run out, and every device is updated exactly once (counted in the simulator's request log).

Each PATCH waits LATENCY_MS at the simulator, so the worker dies with one in flight: the
update arrives, nobody writes the answer down, and the second worker finds the image set
on the device (sent, not sent again). A device claimed but not yet sent is sent by it.
Runs on PostgreSQL only, where the worker process shares the test database.
"""

import signal
import time

import pytest
from django.db import connection

from campaigns import services
from campaigns.models import Campaign, CampaignDevice, Outcome
from campaigns.tasks import queue_step
from tests.campaigns.conftest import IMAGE, TYPE, all_up, needing, patched, patches
from tests.fixtures.users import ORG_A
from tests.fixtures.workers import kill_group, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

LATENCY_MS = 1500
IN_FLIGHT_SECONDS = 0.5  # this long after the previous answer, the next PATCH is at the simulator
SENT_BEFORE_KILL = 3


def test_a_worker_killed_mid_wave_neither_loses_nor_doubles_an_update(
    worker_database, fleet, target_devices, tenant_admin, on_the_broker, celery, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("the worker and this test share the database only on PostgreSQL")
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    fleet.set_faults(latency_ms=LATENCY_MS, method="PATCH", path="*/inventory_device/*")
    workers = {"DATABASE_URL": worker_database, "CAMPAIGN_TICK_SECONDS": "1",
               "CAMPAIGN_STALL_SECONDS": "4"}  # fmt: skip
    first = celery("worker", "--concurrency", "1", **workers)
    celery("beat", "--schedule", str(tmp_path / "beat-schedule"), **workers)
    new = services.NewCampaign(organization_id=ORG_A, type_id=TYPE, image_id=IMAGE, canary=2,
                               waves="100%", soak_minutes=0)  # fmt: skip
    campaign = services.create_campaign(user=tenant_admin, new=new)
    services.start_campaign(campaign=campaign, user=tenant_admin, enqueue=queue_step)
    fleet.clear_log()
    rows = CampaignDevice.objects.filter(campaign=campaign)

    def sent():
        return rows.filter(outcome__in=[Outcome.SENT, Outcome.CONFIRMED], wave=2).count()

    # Kill just after a send has been answered, so the next device's PATCH is surely in flight
    # (a device already on the image is settled in milliseconds, without a PATCH).
    wait_until(lambda: sent() >= SENT_BEFORE_KILL, f"{SENT_BEFORE_KILL} of wave 2 sent", seconds=60)
    before = sent()
    wait_until(lambda: sent() > before, "the next device of wave 2 sent", seconds=30)
    time.sleep(IN_FLIGHT_SECONDS)
    in_flight = rows.get(outcome=Outcome.SENDING)
    kill_group(first)
    assert first.returncode == -signal.SIGKILL
    assert rows.get(pk=in_flight.pk).outcome == Outcome.SENDING  # its answer never written

    celery("worker", "--concurrency", "1", **workers)
    wait_until(
        lambda: Campaign.objects.get(pk=campaign.pk).state != Campaign.State.RUNNING,
        "the second worker to finish the campaign", seconds=120,
    )  # fmt: skip

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.FINISHED, list(campaign.decisions.all())
    assert patches(fleet) == patched(needing(devices))
    assert set(rows.values_list("outcome", flat=True)) <= {Outcome.CONFIRMED, Outcome.ALREADY}
    assert rows.get(pk=in_flight.pk).message.startswith("Confirmed")
