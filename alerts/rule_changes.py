"""Changes to notification rules: each one checked against the user's organizations again,
made in one transaction with its audit entry. The audit names destinations masked only."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts import audit, tenancy
from alerts import delivery, services
from alerts.destinations import mask
from alerts.models import AlertRule, Delivery, Destination
from alerts.rule_selectors import devices_in_words, same_name
from devices import form_keys

RULE_FIELDS = ("name", "organization_id", "type_id", "pattern", "device_ids", "events",
               "delay_seconds", "send_recovery", "stuck_minutes", "storm_threshold")  # fmt: skip


class NameTaken(Exception):
    """Another rule of the same organization (or fleet-wide) has the name: nothing changed."""

    def __init__(self, rule: AlertRule):
        super().__init__(f"Rule {rule.pk} has this name.")
        self.rule = rule


def _record(user, action: str, rule: AlertRule, **extra) -> None:
    audit.record_action(
        user=user, action=action, result=audit.OK, organization_id=rule.organization_id,
        parameters={"rule_id": rule.pk, "rule": rule.name, **extra},
    )  # fmt: skip


def _described(rule: AlertRule) -> dict:
    return {
        "devices": devices_in_words(rule),
        "events": list(rule.events),
        "delay_seconds": rule.delay_seconds,
        "send_recovery": rule.send_recovery,
        "destinations": [d.masked for d in rule.destinations.all()],
    }


def _add_destinations(rule: AlertRule, urls) -> list[Destination]:
    return [Destination.objects.create(rule=rule, url=url, masked=mask(url)) for url in urls]


def create_rule(*, user, data: dict, key: str | None = None) -> AlertRule:
    """`data`: RuleForm's cleaned data. At most one rule per form `key`: a key sent before
    raises form_keys.SentBefore (its rule, still there) or BadKey (not well formed, or another
    user's), and creates nothing. `key` None: no form (a caller of its own). NameTaken when
    another rule of the organization has the name."""
    tenancy.ensure_allowed(user, tenancy.ALERT_RULES, data["organization"])
    form_keys.require(key)
    taken = same_name(data["name"], data["organization"])
    # The rule made under this very key is the form sent again: its create below says so.
    if taken is not None and (key is None or taken.create_key != key):
        raise NameTaken(taken)
    once = form_keys.creating_once(
        AlertRule, field="create_key", key=key, user=user, owner="created_by_id"
    )
    with once, transaction.atomic():
        rule = AlertRule.objects.create(
            created_by=user, organization_id=data["organization"], create_key=key,
            **{f: data[f] for f in RULE_FIELDS if f != "organization_id"},
        )  # fmt: skip
        _add_destinations(rule, data["destinations"])
        _record(user, "alert_rule_create", rule, **_described(rule))
    return rule


def update_rule(*, user, rule: AlertRule, data: dict) -> AlertRule:
    """Also checks the organization the rule moves to; removed destinations go, new ones
    are added, kept ones stay as they are (never rewritten from the page)."""
    tenancy.ensure_allowed(user, tenancy.ALERT_RULES, rule.organization_id)
    tenancy.ensure_allowed(user, tenancy.ALERT_RULES, data["organization"])
    renamed = rule.name.strip().lower() != data["name"].strip().lower()
    moved = renamed or rule.organization_id != data["organization"]
    # Only then: two rules named alike before names were checked may still be edited.
    if moved and (taken := same_name(data["name"], data["organization"], excluding=rule.pk)):
        raise NameTaken(taken)
    with transaction.atomic():
        rule.organization_id = data["organization"]
        for field in RULE_FIELDS:
            if field != "organization_id":
                setattr(rule, field, data[field])
        rule.updated_at = timezone.now()
        rule.save()
        removed = [d.masked for d in data["removed"]]
        gone = Destination.objects.filter(rule=rule, pk__in=[d.pk for d in data["removed"]])
        delivery.give_up_removed(Delivery.objects.filter(destination__in=gone), now=rule.updated_at)
        gone.delete()
        added = [d.masked for d in _add_destinations(rule, data["destinations"])]
        _record(user, "alert_rule_edit", rule, **_described(rule),
                destinations_added=added, destinations_removed=removed)  # fmt: skip
    return rule


def set_enabled(*, user, rule: AlertRule, enabled: bool) -> AlertRule:
    tenancy.ensure_allowed(user, tenancy.ALERT_RULES, rule.organization_id)
    with transaction.atomic():
        rule.enabled = enabled
        rule.updated_at = timezone.now()
        rule.save(update_fields=["enabled", "updated_at"])
        _record(user, "alert_rule_enable" if enabled else "alert_rule_disable", rule)
    return rule


def delete_rule(*, user, rule: AlertRule) -> None:
    tenancy.ensure_allowed(user, tenancy.ALERT_RULES, rule.organization_id)
    with transaction.atomic():
        _record(user, "alert_rule_delete", rule, **_described(rule))
        delivery.give_up_removed(rule.deliveries.all(), now=timezone.now())
        rule.deliveries.update(deleted_rule_name=rule.name,
                               deleted_rule_organization_id=rule.organization_id)  # fmt: skip
        rule.delete()


def send_test(*, user, rule: AlertRule) -> int:
    """One test delivery per destination; how many were queued."""
    tenancy.ensure_allowed(user, tenancy.ALERT_RULES, rule.organization_id)
    with transaction.atomic():
        deliveries = services.send_test_notification(rule, user)
        _record(user, "alert_rule_test", rule, destinations=len(deliveries))
    return len(deliveries)
