"""python manage.py alert_rule create|list|disable: notification rules from the command line.

    alert_rule create --name NAME (--organization ID | --fleet-wide) [--type ID]
        [--event EVENT]... [--delay-seconds N] [--no-recovery] [--storm-threshold N]
        [--pattern P] [--stuck-minutes N] --destination URL [--destination URL]...
                                                                 prints the new rule's id
    alert_rule list                                              one line per rule
    alert_rule disable ID

Destinations are shown masked; each change is audit-logged, by "(command line)".
"""

from argparse import ArgumentTypeError

from django.core.management.base import BaseCommand, CommandError

from accounts import audit
from alerts import services
from alerts.models import (
    DEFAULT_DELAY_SECONDS,
    DEFAULT_STORM_THRESHOLD,
    DEFAULT_STUCK_MINUTES,
    DELAY_SECONDS,
    STORM_THRESHOLD,
    STUCK_MINUTES,
    AlertRule,
    Event,
    out_of_bounds,
)
from common import integers
from common.command_line import whole_number


class Command(BaseCommand):
    help = "Create, list and disable notification rules."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create", help="create a rule and print its id")
        create.add_argument("--name", required=True)
        where = create.add_mutually_exclusive_group(required=True)
        where.add_argument("--organization", type=whole_number(1), help="its organization's id")
        where.add_argument("--fleet-wide", action="store_true", help="every organization")
        create.add_argument("--type", type=whole_number(1), help="devices of this type only")
        create.add_argument("--pattern", default="", help="name or serial (CPE-* or a part)")
        create.add_argument(
            "--event", action="append", choices=Event.values,
            help="repeat for several (default: down)",
        )  # fmt: skip
        create.add_argument(
            "--delay-seconds", type=_rule_number(DELAY_SECONDS), default=DEFAULT_DELAY_SECONDS
        )
        create.add_argument("--no-recovery", action="store_true")
        create.add_argument(
            "--storm-threshold", type=_rule_number(STORM_THRESHOLD), default=DEFAULT_STORM_THRESHOLD
        )
        create.add_argument(
            "--stuck-minutes", type=_rule_number(STUCK_MINUTES), default=DEFAULT_STUCK_MINUTES,
            help="pending_stuck: minutes pending settings may wait",
        )  # fmt: skip
        create.add_argument("--destination", action="append", required=True, help="apprise URL")
        commands.add_parser("list", help="every rule, one line each")
        disable = commands.add_parser("disable", help="stop a rule from notifying")
        disable.add_argument("rule_id", type=whole_number(1))

    def handle(self, *args, command, **options):
        return {"create": self._create, "list": self._list, "disable": self._disable}[command](
            **options
        )

    def _create(self, *, name, organization, fleet_wide, type, pattern, event, delay_seconds,
                no_recovery, storm_threshold, stuck_minutes, destination, **_):  # fmt: skip
        try:
            rule = services.create_rule(
                name=name, organization_id=None if fleet_wide else organization,
                destination_urls=destination, events=event or [Event.DOWN], type_id=type,
                pattern=pattern, delay_seconds=delay_seconds, send_recovery=not no_recovery,
                storm_threshold=storm_threshold, stuck_minutes=stuck_minutes,
            )  # fmt: skip
        except services.RuleError as error:
            raise CommandError(str(error)) from None
        audit.record_action(
            user=None, username=audit.COMMAND_LINE, action="alert_rule_create", result=audit.OK,
            organization_id=rule.organization_id, parameters=_described(rule),
        )  # fmt: skip
        self.stdout.write(str(rule.pk))

    def _list(self, **_):
        for rule in AlertRule.objects.prefetch_related("destinations").order_by("pk"):
            self.stdout.write(_line(rule))

    def _disable(self, *, rule_id, **_):
        rule = AlertRule.objects.filter(pk=rule_id).first()
        if rule is None:
            raise CommandError(f"There is no rule {rule_id}.")
        if not services.disable_rule(rule=rule):
            raise CommandError(f"Rule {rule_id} is disabled already.")
        audit.record_action(
            user=None, username=audit.COMMAND_LINE, action="alert_rule_disable", result=audit.OK,
            organization_id=rule.organization_id, parameters={"rule": rule.pk, "name": rule.name},
        )  # fmt: skip
        self.stdout.write(f"Rule {rule.pk} disabled.")


def _rule_number(bounds: tuple[str, int, int]):
    """An argparse `type` for one of a rule's numbers, refused in the rule page's words (an
    ArgumentTypeError, as `whole_number` explains)."""
    _, lowest, highest = bounds

    def read(value: str) -> int:
        number = integers.int_or_none(value, minimum=lowest, maximum=highest)
        if number is None:
            raise ArgumentTypeError(out_of_bounds(bounds, lowest - 1))
        return number

    return read


def _described(rule: AlertRule) -> dict:
    return {
        "rule": rule.pk,
        "name": rule.name,
        "devices": rule.selector.describe(),
        "events": list(rule.events),
        "delay_seconds": rule.delay_seconds,
        "send_recovery": rule.send_recovery,
        "storm_threshold": rule.storm_threshold,
        "destinations": [d.masked for d in rule.destinations.all()],
    }


def _line(rule: AlertRule) -> str:
    scope = "fleet-wide" if rule.organization_id is None else f"organization {rule.organization_id}"
    state = "enabled" if rule.enabled else "disabled"
    where = ", ".join(d.masked for d in rule.destinations.all())
    return (
        f"{rule.pk}\t{rule.name}\t{state}\t{scope}\t{rule.selector.describe()}\t"
        f"{','.join(rule.events)}\tdelay {rule.delay_seconds}s\t"
        f"recovery {'on' if rule.send_recovery else 'off'}\t{where}"
    )
