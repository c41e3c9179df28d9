"""Notifications of firmware campaigns: one entry point, `notify_campaign`, for the
campaigns app to hand a decision ("wave 2 started", "stopped: ...") to the notification
rules of its organization that ask for the `campaign` event (and fleet-wide ones).

Made once like every delivery (alerts.delivery.Outbox): the key names the campaign and
the decision, so announcing the same decision twice adds nothing. A rule narrowed to a
device type hears only of campaigns of that type (or of every type).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from alerts import messages
from alerts.delivery import Outbox
from alerts.models import AlertRule, Event


def notify_campaign(
    *, campaign_id: int, decision_id: int, organization_id: int, type_id: int | None,
    image_id: int, text: str,
) -> list[int]:  # fmt: skip
    """Make the deliveries of one campaign decision; the ids handed to the workers."""
    from alerts.tasks import queue_deliveries

    now = timezone.now()
    rules = AlertRule.objects.filter(enabled=True).filter(
        Q(organization_id=organization_id) | Q(organization_id__isnull=True)
    )
    outbox = Outbox(now)
    name = (
        Organization.objects.filter(upstream_id=organization_id).values_list("name", flat=True)
    ).first()  # None when the dashboard has not seen the organization, as in device events
    for rule in rules.prefetch_related("destinations"):
        if not rule.wants(Event.CAMPAIGN):
            continue
        if rule.type_id is not None and type_id is not None and rule.type_id != type_id:
            continue

        def make(key, rule=rule):
            subject = f"Firmware campaign {campaign_id} (image {image_id}): {text}"
            body = {
                "version": messages.VERSION, "id": key, "event": Event.CAMPAIGN,
                "rule": {"id": rule.pk, "name": rule.name}, "at": messages.iso(now),
                "campaign": {"id": campaign_id, "image": image_id, "type": type_id},
                "organization": {"id": organization_id, "name": name},
                "detail": text, "link": f"{settings.DASHBOARD_URL}/campaigns/{campaign_id}/",
            }  # fmt: skip
            return messages.Message(subject[: messages.SUBJECT_LENGTH], body)

        outbox.add(
            rule, event=Event.CAMPAIGN, key=f"{rule.pk}:campaign:{campaign_id}:{decision_id}",
            make=make, organization_id=organization_id,
        )  # fmt: skip
    ids = outbox.write()
    transaction.on_commit(lambda: queue_deliveries(ids))
    return ids
