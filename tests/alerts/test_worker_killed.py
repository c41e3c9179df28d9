"""A real Celery worker killed (SIGKILL, with its pool processes) while it sends a
notification: the notification is neither lost nor sent twice.

The poll queues the evaluation, as after every poll; the worker evaluates the Down and
sends its notification. The receiver holds the request; the worker dies before the
answer, so nothing was acknowledged (the receiver keeps only what it answered,
tests/fixtures/receivers.py). The delivery stays "sending" until its lease
(ALERT_SEND_LEASE_SECONDS, 5 s here) runs out; the sweeper (beat's task, called here) then
hands it to a second worker, which sends it. Sweeping again sends nothing more.
"""

import json
import signal
from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import delivery, evaluation, services
from alerts.models import Delivery
from alerts.tasks import queue_deliveries
from devices import configured, tasks
from tests.fixtures.workers import kill_group, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

LEASE_SECONDS = 5


def test_a_worker_killed_while_sending_neither_loses_nor_doubles_the_notification(
    worker_database, still_fleet, all_devices, on_the_broker, celery, http_receiver, settings
):
    settings.DASHBOARD_URL = "https://noc.example.com"
    first = celery(
        "worker", "--concurrency", "1", DATABASE_URL=worker_database,
        ALERT_SEND_LEASE_SECONDS=str(LEASE_SECONDS),
    )  # fmt: skip
    wait_until(lambda: configured.read_model().snapshot_info(), "the worker's start-up poll")
    model = configured.read_model(for_pages=False)
    evaluation.evaluate(model=model)
    device = next(d for d in all_devices() if d.status == "Up")
    services.create_rule(
        name="On call", organization_id=None, delay_seconds=0,
        destination_urls=[f"json://{http_receiver.url}/hook"],
    )  # fmt: skip
    http_receiver.hold = 60
    still_fleet.set_status(device.id, up=False)
    # The poll queues the notifications' evaluation; the worker evaluates and sends.
    tasks.poll_fleet.apply(args=("incremental",))
    assert http_receiver.arrived.wait(30), "the worker never sent the notification"
    kill_group(first)
    assert first.returncode == -signal.SIGKILL
    http_receiver.hold = 0
    wait_until(lambda: http_receiver.dropped == 1, "the receiver to see the sender gone")
    (held,) = Delivery.objects.all()
    assert held.state == Delivery.State.SENDING and http_receiver.requests == []

    celery("worker", "--concurrency", "1", DATABASE_URL=worker_database,
           ALERT_SEND_LEASE_SECONDS=str(LEASE_SECONDS))  # fmt: skip

    def swept():
        queue_deliveries(delivery.due_deliveries(now=timezone.now()))
        return Delivery.objects.get(pk=held.pk).state == Delivery.State.SENT

    wait_until(swept, "the sweeper and the second worker to send it", seconds=60)

    (request,) = http_receiver.requests
    assert json.loads(request["body"])["device"]["id"] == device.id
    # Nothing left for any later sweep to send.
    assert delivery.due_deliveries(now=timezone.now() + timedelta(days=1)) == []
    sent = Delivery.objects.get(pk=held.pk)
    assert sent.attempts == 2
    assert [t.ok for t in sent.tries.all()] == [True]
