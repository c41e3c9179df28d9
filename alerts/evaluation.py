"""Evaluate the status transitions the polls recorded, in order, once, into conditions and
deliveries.

One run (after each poll, and from beat as a backstop):
1. lock the cursor row (SELECT ... FOR UPDATE): runs wait for each other, so two never
   read the same transitions; everything the run does commits with the cursor's move,
   so a run that dies leaves nothing half done and the next one does it all again;
2. read the transitions recorded after the cursor (the read model's stream), poll by poll
   (the entries of one poll share their stream id's time);
   - a Down opens a pending condition, for each enabled rule whose devices include the
     device and that wants `down` or `up`, due `delay_seconds` after the poll saw it;
   - an Up closes the device's conditions: one still pending (back within the delay)
     sends nothing; one notified sends its recovery (`send_recovery`) or the rule's `up`;
     more than `storm_threshold` of them in one poll become one grouped message;
3. settle what is due (alerts.conditions): windows, flapping, storms, the poller, and
   the connection profiles the last profile poll stored, judged by the health rules
   (common.profile_health).

The first run: the cursor starts at the newest transition recorded then, so turning
notifications on does not replay the week of history the read model keeps.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby

import redis
from django.db import transaction
from django.utils import timezone

from accounts import tenancy
from accounts.models import Organization
from alerts import conditions, messages
from alerts.delivery import Outbox
from alerts.models import AlertRule, Condition, EvaluationCursor, Event
from common.profile_health import Judgement, judge
from controlapi.records import Profile
from devices import history_selectors
from fleet.read_model import ReadModel
from fleet.store.history import Transition
from maintenance_windows.in_force import window_for, windows_in_force

log = logging.getLogger(__name__)

CURSOR = "transitions"
READ_COUNT = 5000
READ_MAX = 100_000  # transitions in one run; the rest is the next run's


@dataclass
class Summary:
    transitions: int = 0
    opened: int = 0
    closed: int = 0
    deliveries: list[int] = field(default_factory=list)


class Evaluation:
    """What one run knows: the time, the rules, the devices it looked up, the windows in
    force, the flapping devices, and the deliveries it decided on."""

    def __init__(self, model: ReadModel, now: datetime):
        self.model = model
        self.now = now
        self.rules = list(
            AlertRule.objects.filter(enabled=True).prefetch_related("destinations").order_by("pk")
        )
        self.rules_by_id = {rule.pk: rule for rule in self.rules}
        self.outbox = Outbox(now)
        self.summary = Summary()
        self._devices: dict = {}
        self._org_names: dict[int, str] = {}
        self._types: dict[int, str] | None = None
        self._judged: dict[int, tuple[Profile, Judgement]] | None = None
        self._profiles_read = False
        self._org_types: dict[int, frozenset[int] | None] = {}
        self._org_profiles: dict[int, frozenset[int]] = {}
        self.windows = windows_in_force(now)
        flapping = history_selectors.flapping_devices(now=now, org_ids=None, model=model).items
        self.flappers = {f.device_id: f for f in flapping}

    # --- lookups ---------------------------------------------------------------------

    def load(self, device_ids) -> None:
        missing = {int(i) for i in device_ids} - set(self._devices)
        if missing:
            found = self.model.get_devices(missing)
            for device_id in missing:
                self._devices[device_id] = found.get(device_id)

    def device(self, device_id: int):
        """The device as the current snapshot has it, None when it is not there."""
        self.load([device_id])
        return self._devices[device_id]

    def in_window(self, device) -> bool:
        return window_for(device, self.windows) is not None

    def is_flapping(self, device_id: int) -> bool:
        return device_id in self.flappers

    def organization_name(self, organization_id: int | None) -> str | None:
        if organization_id is None:
            return None
        if organization_id not in self._org_names:
            row = Organization.objects.filter(upstream_id=organization_id).first()
            self._org_names[organization_id] = row.name if row else None
        return self._org_names[organization_id]

    def organization_names(self, ids) -> dict[int, str]:
        wanted = {i for i in ids if i is not None} - set(self._org_names)
        for upstream_id, name in Organization.objects.filter(upstream_id__in=wanted).values_list(
            "upstream_id", "name"
        ):
            self._org_names[upstream_id] = name
        return {i: n for i, n in self._org_names.items() if n}

    def rules_for(self, device, *events: str) -> list[AlertRule]:
        return [
            rule
            for rule in self.rules
            if any(rule.wants(e) for e in events) and rule.selector.matches(device)
        ]

    # --- notifications ---------------------------------------------------------------

    def notify_device(self, rule: AlertRule, condition: Condition, event: str, device, *,
                      detail: str = "") -> None:  # fmt: skip
        organization = self.organization_name(device.organization_id)
        self.outbox.add(
            rule,
            event=event,
            key=f"{rule.pk}:{event}:{device.id}:{condition.opened_key}",
            device_id=device.id,
            organization_id=device.organization_id,
            make=lambda key: messages.device_message(
                key=key,
                event=event,
                rule=rule,
                device=device,
                organization_name=organization,
                at=self.now,
                detail=detail,
            ),  # fmt: skip
        )

    def notify_group(self, rule: AlertRule, event: str, batch: str, devices: list) -> None:
        names = {
            "organization": self.organization_names(d.organization_id for d in devices),
            "type": self.type_names(),
        }
        profiles = self.profile_health(rule.organization_id)
        self.outbox.add(
            rule,
            event=event,
            key=f"{rule.pk}:{event}:{batch}",
            organization_id=rule.organization_id,
            make=lambda key: messages.storm_message(
                key=key,
                event=event,
                rule=rule,
                devices=devices,
                names=names,
                at=self.now,
                profiles=profiles,
            ),  # fmt: skip
        )

    def type_names(self) -> dict[int, str]:
        if self._types is None:
            try:
                self._types = self.model.device_types(None)
            except redis.RedisError:  # names are a courtesy: the message goes without them
                self._types = {}
        return self._types

    # --- connection profiles ------------------------------------------------------------

    def judged_profiles(self) -> dict[int, tuple[Profile, Judgement]] | None:
        """Profile id -> (profile, its judgement) as the last profile poll stored them;
        None when the snapshot cannot be read (none yet, Redis away, not in form)."""
        if not self._profiles_read:
            self._profiles_read = True
            try:
                snapshot = self.model.read_profiles()
            except (redis.RedisError, ValueError, KeyError, TypeError) as error:
                log.warning("profile snapshot unreadable: %s", type(error).__name__)
                snapshot = None
            if snapshot is not None:
                self._judged = {p.id: (p, judge(p, self.now)) for p in snapshot.items}
        return self._judged

    def profiles_seen_by(self, organization_id: int | None) -> frozenset[int]:
        """The profiles of the snapshot an organization may see, by the rule its pages
        follow (tenancy.visible_profiles: the profile names the organization); every
        profile for a fleet-wide rule (None)."""
        judged = self.judged_profiles() or {}
        if organization_id is None:
            return frozenset(judged)
        if organization_id not in self._org_profiles:
            scope = tenancy.OrgScope(all=False, ids=frozenset({organization_id}))
            seen = tenancy.visible_profiles([p for p, _ in judged.values()], scope)
            self._org_profiles[organization_id] = frozenset(p.id for p in seen)
        return self._org_profiles[organization_id]

    def profiles_of(self, rule: AlertRule) -> frozenset[int] | None:
        """The profiles whose devices a rule concerns; None when that cannot be told now.
        ASSUMPTION (fleet/device_selector.py): a device's type is its connection profile id.
        A rule's type names its one profile; an organization's rule concerns the types of
        its organization's devices in the current snapshot; a fleet-wide rule every
        profile. A pattern or device ids do not narrow the profiles. An organization's rule
        concerns only the profiles that organization may see (`profiles_seen_by`): its
        messages must not tell of a profile its pages answer 404."""
        judged = self.judged_profiles() or {}
        org = rule.organization_id
        if org is None:
            return frozenset({rule.type_id}) if rule.type_id is not None else frozenset(judged)
        seen = self.profiles_seen_by(org)
        if rule.type_id is not None:
            return frozenset({rule.type_id}) & seen
        if org not in self._org_types:
            try:
                self._org_types[org] = frozenset(self.model.device_types(frozenset({org})))
            except redis.RedisError:  # unknown: the rule's profiles wait for the next run
                self._org_types[org] = None
        types = self._org_types[org]
        return None if types is None else types & seen

    def profile_health(self, organization_id: int | None) -> dict[int, dict]:
        """Profile id -> its name, state and reasons, for a grouped message of a rule of
        this organization (None: fleet-wide), of the profiles it may see; empty when the
        profile snapshot cannot be read."""
        seen = self.profiles_seen_by(organization_id)
        return {
            profile_id: messages.profile_summary(profile, judgement)
            for profile_id, (profile, judgement) in (self.judged_profiles() or {}).items()
            if profile_id in seen
        }

    def notify_ends(self, batch: str, ends: dict[int, list[tuple[Condition, object]]]) -> None:
        """The Up of notified Downs, per rule: one message each, or one for the group when
        more than the rule's storm threshold came back in the same poll."""
        for rule_id, items in ends.items():
            rule = self.rules_by_id[rule_id]
            if len(items) > rule.storm_threshold:
                self.notify_group(rule, "storm_up", batch, [device for _, device in items])
            else:
                for condition, device in items:
                    self.notify_device(rule, condition, Event.UP, device)


def evaluate(*, model: ReadModel, now: datetime | None = None) -> Summary:
    """One run; `now` is the clock (tests drive it)."""
    now = now or timezone.now()
    with transaction.atomic():
        cursor, created = EvaluationCursor.objects.select_for_update().get_or_create(
            name=CURSOR, defaults={"last_id": model.newest_transition_id()}
        )
        run = Evaluation(model, now)
        last_id = cursor.last_id
        read = 0
        while read < READ_MAX:
            entries = model.transitions_after(last_id, count=READ_COUNT)
            if not entries:
                break
            _handle(run, entries)
            last_id = entries[-1][0]
            read += len(entries)
            if len(entries) < READ_COUNT:
                break
        conditions.settle(run)
        cursor.last_id = last_id
        cursor.last_run_at = now
        cursor.save()
        run.summary.transitions = read
        run.summary.deliveries = run.outbox.write()
    return run.summary


def _handle(run: Evaluation, entries: list[tuple[str, Transition]]) -> None:
    """Transitions, poll by poll, in the order recorded."""
    device_ids = {t.device_id for _, t in entries}
    run.load(device_ids)
    open_downs: dict[int, dict[int, Condition]] = defaultdict(dict)
    for condition in Condition.objects.filter(
        event=Event.DOWN, closed_at__isnull=True, subject_id__in=device_ids
    ):
        open_downs[condition.subject_id][condition.rule_id] = condition
    for batch, group in groupby(entries, key=lambda entry: entry[0].split("-", 1)[0]):
        ends: dict[int, list[tuple[Condition, object]]] = defaultdict(list)
        for entry_id, t in group:
            device = run.device(t.device_id)
            if device is None:
                continue  # gone from the fleet: nothing to say about it
            if t.to_status == "Down":
                _open(run, entry_id, batch, t, device, open_downs[t.device_id])
            else:
                _close(run, t, device, open_downs[t.device_id], ends)
        run.notify_ends(batch, ends)


def _open(run: Evaluation, entry_id: str, batch: str, t: Transition, device, open_downs) -> None:
    for rule in run.rules_for(device, Event.DOWN, Event.UP):
        existing = open_downs.get(rule.pk)
        if existing is not None:
            # Down again while its Up waited for a flap to end: the Down goes on.
            if existing.up_since is not None:
                existing.up_since = None
                existing.save(update_fields=["up_since"])
            continue
        open_downs[rule.pk] = Condition.objects.create(
            rule=rule,
            event=Event.DOWN,
            subject_id=device.id,
            organization_id=device.organization_id,
            opened_key=entry_id,
            batch=batch,
            since=t.at,
            due_at=conditions.batch_time(batch) + timedelta(seconds=rule.delay_seconds),
        )
        run.summary.opened += 1


def _close(run: Evaluation, t: Transition, device, open_downs, ends) -> None:
    for rule_id, condition in list(open_downs.items()):
        rule = run.rules_by_id.get(rule_id)
        told = condition.state in (Condition.State.NOTIFIED, Condition.State.HELD)
        if rule is not None and told and run.is_flapping(device.id):
            # Held while the device flaps: settled when the flap ends (alerts.conditions).
            condition.up_since = t.at
            condition.save(update_fields=["up_since"])
            continue
        send = rule is not None and told and conditions.wants_end(rule, condition)
        conditions.close(condition, run.now)
        del open_downs[rule_id]
        run.summary.closed += 1
        if send and not run.in_window(device):
            ends[rule_id].append((condition, device))
