"""Notifications sent on a person's request."""

from __future__ import annotations

import logging
from uuid import uuid4

from celery import current_app
from django.db import transaction
from django.utils import timezone

from alerts.models import AlertRule, Delivery

log = logging.getLogger(__name__)

SEND_DELIVERY = "alerts.send_delivery"


def send_test_notification(rule: AlertRule, user) -> list[Delivery]:
    """One test delivery per destination of the rule, each queued for sending once the
    transaction commits (a worker then finds its row). A broker that fails leaves them
    pending, as the rule's page shows."""
    now = timezone.now()
    who = user.get_username() if user is not None else "the dashboard"
    subject = f"Test notification of rule “{rule.name}”"[:200]
    deliveries = []
    for destination in rule.destinations.all():
        delivery = Delivery.objects.create(
            key=f"test:{rule.pk}:{destination.pk}:{uuid4().hex}",
            rule=rule,
            destination=destination,
            event="test",
            organization_id=rule.organization_id,
            subject=subject,
            body={
                "version": 1,
                "event": "test",
                "rule": {"id": rule.pk, "name": rule.name},
                "organization_id": rule.organization_id,
                "message": f"A test notification sent by {who}: this destination works.",
                "at": now.isoformat(),
            },
        )
        transaction.on_commit(lambda pk=delivery.pk: _enqueue(pk))
        deliveries.append(delivery)
    return deliveries


def _enqueue(delivery_pk: int) -> None:
    try:
        current_app.send_task(SEND_DELIVERY, args=[delivery_pk])
    except Exception as error:  # noqa: BLE001 -- any broker failure: the delivery stays pending
        log.warning("delivery %s not queued: %s", delivery_pk, type(error).__name__)
