"""Writes on rules for the command line and the pages: create, disable, send a test.

Keyword-only. Destinations are checked with alerts.destinations.problem and stored with
their masked form; errors are `RuleError` with the reason in words (never the URL).
Auditing is the caller's (the command, a page), which knows who asked and how.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from alerts import destinations, messages, rule_selectors
from alerts.models import (
    DEFAULT_DELAY_SECONDS,
    DEFAULT_STORM_THRESHOLD,
    DEFAULT_STUCK_MINUTES,
    DELAY_SECONDS,
    STORM_THRESHOLD,
    STUCK_MINUTES,
    AlertRule,
    Delivery,
    Destination,
    Event,
    out_of_bounds,
)


class RuleError(ValueError):
    """A rule that cannot be made as asked; the message says why, in words."""


def create_rule(
    *,
    name: str,
    organization_id: int | None,
    destination_urls: Sequence[str],
    events: Sequence[str] = (Event.DOWN,),
    type_id: int | None = None,
    pattern: str = "",
    delay_seconds: int = DEFAULT_DELAY_SECONDS,
    send_recovery: bool = True,
    storm_threshold: int = DEFAULT_STORM_THRESHOLD,
    stuck_minutes: int = DEFAULT_STUCK_MINUTES,
    user=None,
) -> AlertRule:
    name = (name or "").strip()
    if not name:
        raise RuleError("A rule needs a name.")
    # The columns' sizes: longer would fail in the database, not in words.
    for text, column, words in ((name, "name", "A rule's name"),
                                (pattern.strip(), "pattern", "A pattern")):  # fmt: skip
        longest = AlertRule._meta.get_field(column).max_length
        if len(text) > longest:
            raise RuleError(f"{words} is at most {longest} characters.")
    if taken := rule_selectors.same_name(name, organization_id):
        raise RuleError(f"{rule_selectors.name_taken_in_words(taken.name, organization_id)} (rule "
                        f"{taken.pk}): choose another name.")  # fmt: skip
    unknown = [e for e in events if e not in Event.values]
    if unknown:
        raise RuleError(f"Unknown event {unknown[0]!r}: use one of {', '.join(Event.values)}.")
    for bounds, value in ((DELAY_SECONDS, delay_seconds), (STORM_THRESHOLD, storm_threshold),
                          (STUCK_MINUTES, stuck_minutes)):  # fmt: skip
        if why := out_of_bounds(bounds, value):
            raise RuleError(why)
    urls = list(dict.fromkeys(u.strip() for u in destination_urls if u and u.strip()))
    if not urls:
        raise RuleError("A rule needs at least one destination.")
    for position, url in enumerate(urls, start=1):
        if reason := destinations.problem(url):
            raise RuleError(f"Destination {position}: {reason}")
    now = timezone.now()
    with transaction.atomic():
        rule = AlertRule.objects.create(
            name=name, organization_id=organization_id, type_id=type_id, pattern=pattern.strip(),
            events=list(dict.fromkeys(events)), delay_seconds=delay_seconds,
            send_recovery=send_recovery, storm_threshold=storm_threshold,
            stuck_minutes=stuck_minutes,
            created_by=user if getattr(user, "is_authenticated", False) else None,
            created_at=now, updated_at=now,
        )  # fmt: skip
        Destination.objects.bulk_create(
            Destination(rule=rule, url=url, masked=destinations.mask(url), created_at=now)
            for url in urls
        )
    return rule


def disable_rule(*, rule: AlertRule) -> bool:
    """False when it was disabled already."""
    changed = AlertRule.objects.filter(pk=rule.pk, enabled=True).update(
        enabled=False, updated_at=timezone.now()
    )
    rule.refresh_from_db()
    return bool(changed)


def send_test_notification(rule: AlertRule, user) -> list[Delivery]:
    """One "test" delivery per destination of the rule, sent by the workers
    (alerts.send_delivery) like any other: its tries and answers show on the rule's page."""
    from alerts.tasks import queue_deliveries

    now = timezone.now()
    who = user.get_username() if getattr(user, "is_authenticated", False) else ""
    made = []
    with transaction.atomic():
        for destination in rule.destinations.all():
            key = f"{rule.pk}:test:{uuid.uuid4().hex}:{destination.pk}"
            message = messages.test_message(key=key, rule=rule, at=now, user_name=who)
            made.append(
                Delivery.objects.create(
                    key=key,
                    rule=rule,
                    destination=destination,
                    destination_masked=destination.masked,
                    event="test",
                    organization_id=rule.organization_id,
                    subject=message.subject,
                    body=message.body,
                    created_at=now,
                    next_attempt_at=now,
                )  # fmt: skip
            )
        ids = [d.pk for d in made]
        transaction.on_commit(lambda: queue_deliveries(ids))
    return made
