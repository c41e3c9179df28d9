"""Deliveries: made once, sent once, retried with backoff, each try kept.

Made once. An evaluation collects its notifications in an `Outbox` and writes them in one
INSERT ... ON CONFLICT DO NOTHING on the delivery's unique key (rule × event × subject ×
the transition that opened it × destination): evaluating the same transitions again, or a
worker redoing work another one did, adds nothing.

Sent once. A worker claims a delivery with one conditional UPDATE (due, not sent, not
held by another worker) that also sets `next_attempt_at` to the end of its lease
(ALERT_SEND_LEASE_SECONDS). A worker that dies while sending leaves the delivery
"sending" with that lease; past it, the sweeper (beat, every ALERT_SWEEP_SECONDS) hands it
to a worker again. ASSUMPTION: a destination that answered has the notification, one that
did not answer (the worker died before the answer) does not: the retry carries the same
`id` (webhook body and X-NOC-Delivery header) so a receiver that acted before answering
can drop the repeat.

Retried. A failed try is kept with the destination's answer (secrets masked) and retried
after ALERT_RETRY_DELAYS (30 s, 2 min, 10 min, 30 min); after the last it has failed.
A delivery whose destination, or rule, is removed is never tried again: it fails at the
removal (`give_up_removed`), or at the end of the try under way then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from alerts import destinations, messages
from alerts.models import AlertRule, Delivery, DeliveryAttempt

log = logging.getLogger(__name__)

SWEEP_LIMIT = 500
NOT_SENT_REMOVED = "Not sent: its destination, or its rule, was deleted since."
OPEN_STATES = (Delivery.State.PENDING, Delivery.State.RETRYING, Delivery.State.SENDING)


@dataclass
class Outbox:
    """The deliveries an evaluation decided on, written together at its end."""

    now: datetime
    rows: list[Delivery] = field(default_factory=list)

    def add(
        self,
        rule: AlertRule,
        *,
        event: str,
        key: str,
        make: Callable[[str], messages.Message],
        device_id: int | None = None,
        organization_id: int | None = None,
    ) -> None:
        """One delivery per destination of `rule`; `key` names the notification (rule,
        event, subject, transition), `make(delivery_key)` its message."""
        for destination in rule.destinations.all():
            delivery_key = f"{key}:{destination.pk}"
            message = make(delivery_key)
            self.rows.append(
                Delivery(
                    key=delivery_key,
                    rule=rule,
                    destination=destination,
                    destination_masked=destination.masked,
                    event=event,
                    device_id=device_id,
                    organization_id=organization_id,
                    subject=message.subject,
                    body=message.body,
                    created_at=self.now,
                    next_attempt_at=timezone.now(),
                )
            )

    def write(self) -> list[int]:
        """Insert the deliveries (those already made are left as they are); the ids of
        those not yet sent, to hand to the workers."""
        if not self.rows:
            return []
        Delivery.objects.bulk_create(self.rows, ignore_conflicts=True, batch_size=500)
        keys = [row.key for row in self.rows]
        return list(
            Delivery.objects.filter(key__in=keys, state__in=OPEN_STATES).values_list(
                "pk", flat=True
            )
        )


def retry_delay(attempts: int) -> timedelta | None:
    """How long after its `attempts`-th failed try a delivery is tried again (None: never)."""
    delays = settings.ALERT_RETRY_DELAYS
    if attempts > len(delays):
        return None
    return timedelta(seconds=delays[attempts - 1])


def claim(delivery_id: int, *, now: datetime) -> Delivery | None:
    """The delivery, held for this worker until its lease ends; None when it is not due,
    already sent or failed, or another worker holds it."""
    lease = now + timedelta(seconds=settings.ALERT_SEND_LEASE_SECONDS)
    taken = Delivery.objects.filter(
        pk=delivery_id, state__in=OPEN_STATES, next_attempt_at__lte=now
    ).update(state=Delivery.State.SENDING, next_attempt_at=lease, attempts=F("attempts") + 1)
    if not taken:
        return None
    return Delivery.objects.select_related("destination", "rule").get(pk=delivery_id)


@dataclass(frozen=True)
class Outcome:
    state: str
    retry_in: timedelta | None = None


def send_one(delivery_id: int, *, now: datetime | None = None) -> Outcome | None:
    """Send a delivery if it is due and nobody else holds it; None when it was not taken."""
    delivery = claim(delivery_id, now=now or timezone.now())
    if delivery is None:
        return None
    destination = delivery.destination
    if destination is None:  # removed, or its rule deleted, since: nowhere to send it now
        sent = destinations.Sent(False, NOT_SENT_REMOVED)
    else:
        sent = destinations.send(
            destination.url,
            subject=delivery.subject,
            text=messages.text_of(delivery.subject, delivery.body),
            body=delivery.body,
        )
    finished = timezone.now()
    DeliveryAttempt.objects.create(delivery=delivery, at=finished, ok=sent.ok, answer=sent.answer)
    if sent.ok:
        outcome = Outcome(Delivery.State.SENT)
        changes = {"state": outcome.state, "sent_at": finished}
    else:
        delay = retry_delay(delivery.attempts) if destination is not None else None
        if delay is None:
            outcome = Outcome(Delivery.State.FAILED)
            changes = {"state": outcome.state}
        else:
            outcome = Outcome(Delivery.State.RETRYING, delay)
            changes = {"state": outcome.state, "next_attempt_at": finished + delay}
    # Only while this worker still holds it: a lease that ran out was someone else's since.
    held = Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.SENDING)
    if outcome.retry_in is None:
        held.update(**changes)
    elif not held.exclude(destination=None).update(**changes):
        # Its destination was removed during this try (give_up_removed leaves a delivery
        # being sent to its worker): it is not tried again.
        outcome = Outcome(Delivery.State.FAILED)
        if held.update(state=outcome.state):
            _note_removed([delivery.pk], at=finished)
    log.info(
        "delivery %s (%s, rule %s) to %s, try %s: %s, %s",
        delivery.pk, delivery.event, delivery.rule_id, delivery.where, delivery.attempts,
        outcome.state, sent.answer,
    )  # fmt: skip
    return outcome


def give_up_removed(deliveries: QuerySet[Delivery], *, now: datetime) -> int:
    """Fail at once those of `deliveries` not sent yet, whose destination or rule is being
    removed (call it before the removal, in its transaction), so their page never promises a
    retry that will not come; how many. One a worker is sending now (its lease not over) is
    left to it: send_one does not retry it."""
    waiting = deliveries.filter(
        Q(state__in=(Delivery.State.PENDING, Delivery.State.RETRYING))
        | Q(state=Delivery.State.SENDING, next_attempt_at__lte=now)
    )
    # Locked, so that no worker claims one between reading and failing it.
    ids = list(waiting.select_for_update().values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=ids).update(state=Delivery.State.FAILED)
    _note_removed(ids, at=now)
    return len(ids)


def _note_removed(delivery_ids: list[int], *, at: datetime) -> None:
    """Why they were given up, in the rule page's list of tries."""
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(delivery_id=pk, at=at, ok=False, answer=NOT_SENT_REMOVED)
        for pk in delivery_ids
    )


def due_deliveries(*, now: datetime, limit: int = SWEEP_LIMIT) -> list[int]:
    """Deliveries whose next try is due: new ones whose message was lost, retries, and
    those whose worker died while sending (lease over)."""
    return list(
        Delivery.objects.filter(Q(state__in=OPEN_STATES) & Q(next_attempt_at__lte=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
