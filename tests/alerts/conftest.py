"""The notification tests' clock and hands: polls of the simulator over real HTTP, the
evaluation at a chosen time, the workers' sending called in this process; and rules made
directly in the database, for the pages to show and refuse."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import delivery, evaluation, services
from alerts.destinations import mask
from alerts.models import AlertRule, Delivery, Destination, Event
from devices import form_keys, tasks
from fleet import polling
from tests.fixtures.users import ORG_A


class Alerts:
    def __init__(self, model, sim):
        self.model = model
        self.sim = sim
        self.start = timezone.now()

    def poll(self, mode=polling.INCREMENTAL):
        """A poll of the simulator, as beat starts it (the first is full)."""
        return tasks.poll_fleet.apply(args=(mode,)).get()

    def evaluate(self, *, after: float = 0):
        """An evaluation run `after` seconds past now, then every delivery it made sent;
        the deliveries sent."""
        summary = evaluation.evaluate(
            model=self.model, now=timezone.now() + timedelta(seconds=after)
        )
        for delivery_id in summary.deliveries:
            delivery.send_one(delivery_id)
        return list(Delivery.objects.filter(pk__in=summary.deliveries).order_by("pk"))

    def take(self, device, *, up: bool):
        self.sim.set_status(device.id, up=up)
        self.poll()

    def rule(self, **options):
        options.setdefault("name", "On call")
        options.setdefault("organization_id", None)
        options.setdefault("delay_seconds", 60)
        return services.create_rule(**options)


@pytest.fixture
def alerts(db, model, still_fleet, cache_settings, settings):
    settings.DASHBOARD_URL = "https://noc.example.com"
    driver = Alerts(model, still_fleet)
    driver.poll(polling.FULL)
    driver.evaluate()  # the cursor starts at the newest transition
    return driver


@pytest.fixture
def up_device(all_devices):
    """Up devices of organization 5, as the simulator has them."""
    return [d for d in all_devices() if d.status == "Up" and d.organization_id == 5]


# A destination whose secret part (after the host) must never reach a page or the audit.
SECRET = "s3cr3t-T0ken-4f9a"
SECRET_URL = f"json://receiver.example:8080/hooks/{SECRET}"
MAIL_SECRET = "pw-M41l-77"
MAIL_URL = f"mailto://noc:{MAIL_SECRET}@smtp.example.com?to=oncall@example.com"


def rule_data(**fields):
    """The form's fields of a valid rule of organization 5, `fields` replacing any."""
    return {
        "name": "Core routers down",
        "organization": str(ORG_A),
        "type_id": "",
        "pattern": "CPE-*",
        "device_ids": "",
        "events": ["down", "up"],
        "delay_seconds": "120",
        "send_recovery": "on",
        "stuck_minutes": "60",
        "storm_threshold": "20",
        "destinations": SECRET_URL,
        # The new-rule form's one-time key, as its page renders it: each call a form anew.
        "create_key": form_keys.new_key(),
        **fields,
    }


@pytest.fixture
def make_rule(db):
    def make(organization_id=ORG_A, *, urls=(SECRET_URL,), **fields):
        rule = AlertRule.objects.create(
            name=fields.pop("name", f"Rule of {organization_id}"),
            organization_id=organization_id,
            events=fields.pop("events", [Event.DOWN]),
            **fields,
        )
        for url in urls:
            Destination.objects.create(rule=rule, url=url, masked=mask(url))
        return rule

    return make
