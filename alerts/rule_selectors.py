"""Reads of notification rules, scoped: which rules a user may see, one rule or 404, and a
rule as its list row says it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404

from accounts import tenancy
from accounts.models import Organization
from alerts.models import FLAP_SETTLED_SECONDS, AlertRule, Delivery, Event
from devices import configured
from fleet.device_selector import DeviceSelector
from fleet.store.history import FLAP_MIN_TRANSITIONS

log = logging.getLogger(__name__)

FLEET_WIDE_LABEL = "Every organization (fleet-wide)"
EVENT_LABELS = dict(Event.choices)


def rules_in(scope: tenancy.OrgScope):
    """The rules of a scope's organizations; fleet-wide ones (no organization) only for a
    scope over every organization."""
    rules = AlertRule.objects.all()
    if not scope.all:
        rules = rules.filter(organization_id__in=scope.ids)
    return rules


def rule_for_user(user, rule_id: int) -> AlertRule:
    """The rule, or 404 when it does not exist or the user may not manage its organization
    (a fleet-wide rule: NOC staff only)."""
    rule = get_object_or_404(AlertRule, pk=rule_id)
    tenancy.ensure_allowed(user, tenancy.ALERT_RULES, rule.organization_id)
    return rule


def same_name(name: str, organization_id: int | None, *, excluding: int | None = None):
    """The rule of this organization (None: the fleet-wide rules) named `name`, case and
    surrounding spaces aside, or None: two such rules could not be told apart in the lists
    and the notifications."""
    rules = AlertRule.objects.filter(organization_id=organization_id, name__iexact=name.strip())
    return rules.exclude(pk=excluding).order_by("pk").first()


def name_taken_in_words(name: str, organization_id: int | None) -> str:
    where = "fleet-wide rule" if organization_id is None else "rule of this organization"
    return f"Another {where} is named “{name.strip()}” already"


def organization_choices(scope: tenancy.OrgScope, also: int | None = None):
    """(upstream id, label) of the organizations a scope may make rules for, by name;
    `also`: a rule's own organization, kept even when the dashboard has no row for it."""
    orgs = Organization.objects.all()
    if not scope.all:
        orgs = orgs.filter(upstream_id__in=scope.ids)
    choices = [(o.upstream_id, f"{o.name} (#{o.upstream_id})") for o in orgs]
    if also is not None and scope.allows(also) and all(i != also for i, _ in choices):
        choices.append((also, f"Organization #{also}"))
    return choices


def organization_label(org_id: int | None, names: dict[int, str]) -> str:
    if org_id is None:
        return FLEET_WIDE_LABEL
    return f"{names[org_id]} (#{org_id})" if org_id in names else f"Organization #{org_id}"


def devices_in_words(rule: AlertRule) -> str:
    """The rule's devices without its organization (a column of its own)."""
    selector = rule.selector
    return DeviceSelector(type_id=selector.type_id, pattern=selector.pattern,
                          device_ids=selector.device_ids).describe()  # fmt: skip


def events_in_words(rule: AlertRule) -> list[str]:
    return [EVENT_LABELS.get(event, event) for event in rule.events or ()]


def duration_in_words(seconds: int) -> str:
    return f"{seconds // 60} min" if seconds and seconds % 60 == 0 else f"{seconds} s"


FLAPPING_DEVICE = f"{FLAP_MIN_TRANSITIONS} or more status changes in the last hour"


def flapping_in_words(rule: AlertRule) -> str:
    """What the rule sends about a flapping device's Downs and Ups (alerts.conditions);
    "" when it takes neither."""
    if not (rule.wants(Event.DOWN) or rule.wants(Event.UP)):
        return ""
    settled = duration_in_words(rule.flap_settled_seconds)
    floor = duration_in_words(FLAP_SETTLED_SECONDS)
    if rule.wants(Event.DOWN):
        text = (
            f"its Down is sent once it has stayed Down {settled} (the delay or {floor}, "
            "whichever is longer); its other changes wait for the flap to end, so one flap "
            "sends at most one Down and one Up."
        )
    else:
        text = "its changes wait for the flap to end, so one flap sends at most one Up."
    if rule.wants(Event.FLAPPING):
        return f"{text} “Flapping” messages say when a flap starts and ends."
    return f"{text} Choose “Flapping” to hear when a flap starts and ends too."


def profile_note(rule: AlertRule) -> str:
    """Why an organization's rule with a device type hears of no connection profile ("" if
    it does, or cannot be told): the evaluation tells an organization only of the profiles
    it may see (tenancy.visible_profiles, as the profile pages). The words are the same for
    another organization's profile and a missing one, so they reveal nothing."""
    wanted = rule.wants(Event.PROFILE_FAILING)
    if not wanted or rule.organization_id is None or rule.type_id is None:
        return ""
    try:
        snapshot = configured.read_model().read_profiles()
    except (redis.RedisError, ValueError, KeyError, TypeError) as error:
        log.warning("rule page without profiles: %s", type(error).__name__)
        return ""
    if snapshot is None:
        return ""
    scope = tenancy.OrgScope(all=False, ids=frozenset({rule.organization_id}))
    if any(p.id == rule.type_id for p in tenancy.visible_profiles(snapshot.items, scope)):
        return ""
    return (
        f"Device type #{rule.type_id} names no connection profile of this organization in the "
        "last profile poll, so this rule sends no “Connection profile failing” message. An "
        "organization's rules tell only of its own profiles: those that name it."
    )


@dataclass(frozen=True)
class RuleRow:
    rule: AlertRule
    organization: str
    devices: str
    events: list[str]
    destinations: list[str]
    last_delivery_at: object
    last_delivery_state: str


def rule_rows(rules) -> list[RuleRow]:
    """Rows of the rules list, in three queries whatever their number."""
    last = Delivery.objects.filter(rule=OuterRef("pk")).order_by("-created_at", "-id")
    rules = list(
        rules.annotate(
            last_at=Subquery(last.values("created_at")[:1]),
            last_state=Subquery(last.values("state")[:1]),
        ).prefetch_related("destinations")
    )
    names = organization_names({r.organization_id for r in rules})
    states = dict(Delivery.State.choices)
    return [
        RuleRow(
            rule=r,
            organization=organization_label(r.organization_id, names),
            devices=devices_in_words(r),
            events=events_in_words(r),
            destinations=[d.masked for d in r.destinations.all()],
            last_delivery_at=r.last_at,
            last_delivery_state=states.get(r.last_state, r.last_state or ""),
        )
        for r in rules
    ]


def organization_names(org_ids) -> dict[int, str]:
    ids = [i for i in org_ids if i is not None]
    return dict(Organization.objects.filter(upstream_id__in=ids).values_list("upstream_id",
                                                                             "name"))  # fmt: skip


def deliveries_of(rule: AlertRule):
    """The rule's deliveries, newest first, with their destination (for its masked form);
    their attempts are prefetched by the page for the deliveries it shows."""
    return rule.deliveries.select_related("destination").order_by("-created_at", "-id")
