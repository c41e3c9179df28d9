"""Rules made directly in the database, for the pages to show and refuse."""

import pytest

from alerts.destinations import mask
from alerts.models import AlertRule, Destination, Event
from tests.fixtures.users import ORG_A

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
