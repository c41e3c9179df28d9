"""Settling open conditions at the end of an evaluation run (alerts.evaluation): what is due
is notified, muted by a maintenance window, held while a device flaps, or grouped.

- Due Downs. A pending Down whose delay is over and whose device is still Down (the read
  model now) is notified, unless a maintenance window in force covers the device (then
  it is muted) or the device is flapping (then it waits). The due Downs of one rule that
  one poll opened make a storm when there are more than the rule's `storm_threshold`:
  one grouped message per destination instead of one per device.
- Muted Downs. Once no window covers the device any more (the window ended, or was ended
  early) and it is still Down, the Down is due again the rule's delay later; an Up in the
  meantime closes it with nothing sent.
- Flapping (fleet.store.history: 3 or more transitions in the last hour). Each rule that
  wants `flapping` gets one message when a device starts flapping, and one (if it sends
  recoveries) when it stops: one per episode, not one per transition. While a device flaps,
  its Down and Up messages are held, for every rule (whether or not it wants `flapping`):
  a due Down waits until the device has stayed Down for the rule's `flap_settled_seconds`
  (its delay or FLAP_SETTLED_SECONDS, whichever is longer) and is then sent, so a device
  that stays Down is never silent for the flapping hour; the Up of a notified Down is sent
  when the flap ends if the device is still Up then, and a Down again meanwhile goes on
  as the same notified Down: at most one Down and one Up per flap, whatever its changes.
- Pending settings stuck (`pending_stuck`): a device with a pending entry that the polls
  first saw more than the rule's `stuck_minutes` ago (the triage board's "pending age",
  ReadModel.pending_first_seen); one message per episode (the oldest entry's time), and
  `pending_cleared` when none is left that old.
- The poller (`poller_failing`): the fleet poll's consecutive failed attempts
  (fleet.poll_outcomes records them); failing from POLLER_FAILING_AFTER on, for the
  rule's delay; back to working sends the recovery.
- A connection profile failing (`profile_failing`): each profile of the last profile poll,
  judged by common.profile_health. A profile judged failing opens a condition for each rule
  that wants the event and concerns the profile (Evaluation.profiles_of); still failing
  after the rule's delay it is notified; judged healthy or degraded again it closes (a
  recovery only for a notified one, with `send_recovery`). A profile gone from the
  snapshot closes with nothing sent. Unknown (no health data), or a snapshot that cannot
  be read, changes nothing. Maintenance windows are for devices: they do not mute these.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from alerts import messages
from alerts.models import AlertRule, Condition, Event
from common.profile_health import FAILING, UNKNOWN
from fleet import polling
from fleet.store.queries import MAX_PAGE_SIZE, DeviceQuery

if TYPE_CHECKING:
    from alerts.evaluation import Evaluation
    from fleet.store.health import PollHealth

POLLER_SUBJECT = 0  # the poller's conditions have no device
POLLER_FAILING_AFTER = 3  # consecutive failed attempts: a poll and its two retries


def batch_time(batch: str) -> datetime:
    """When the poll of a batch recorded its transitions (the stream id's time part)."""
    return datetime.fromtimestamp(int(batch) / 1000, UTC)


def flap_settled_at(rule: AlertRule, condition: Condition) -> datetime:
    """When a flapping device's due Down is sent if the device is still Down: once it has
    been Down `flap_settled_seconds` from the poll that saw it, and never before it is due
    (a Down due again after a maintenance window keeps its own due time)."""
    seen = batch_time(condition.batch) if condition.batch else condition.since
    return max(condition.due_at, seen + timedelta(seconds=rule.flap_settled_seconds))


def close(condition: Condition, now: datetime) -> None:
    condition.state = Condition.State.CLOSED
    condition.closed_at = now
    condition.save(update_fields=["state", "closed_at"])


def wants_end(rule: AlertRule, condition: Condition) -> bool:
    """Whether the Up of a Down that held for the delay is sent: the rule wants `up`, or
    it wants recoveries and the Down was notified."""
    if rule.wants(Event.UP):
        return True
    return rule.send_recovery and condition.state == Condition.State.NOTIFIED


def _end_of_device_condition(
    run: Evaluation, condition: Condition, rule_id: int, device_id: int, recovery: str
) -> None:
    """Close a device's condition; its `recovery` event goes out when the condition was
    notified, the rule sends recoveries and no window covers the device."""
    notified = condition.state == Condition.State.NOTIFIED
    close(condition, run.now)
    rule = run.rules_by_id.get(rule_id)
    device = run.device(device_id)
    told = rule is not None and notified and rule.send_recovery
    if told and device is not None and not run.in_window(device):
        run.notify_device(rule, condition, recovery, device)


def _open_conditions(event: str) -> dict[tuple[int, int], Condition]:
    """The open conditions of `event`, by (rule, subject)."""
    return {
        (c.rule_id, c.subject_id): c
        for c in Condition.objects.filter(event=event, closed_at__isnull=True)
    }


def settle(run: Evaluation) -> None:
    Condition.objects.filter(closed_at__isnull=True, rule__enabled=False).update(
        state=Condition.State.CLOSED, closed_at=run.now
    )
    _unmute(run)
    _flaps_ended_for_held_ups(run)
    _due_downs(run)
    _flapping(run)
    _pending_stuck(run)
    _poller(run)
    _profiles_failing(run)


def _open_downs(**filters):
    return list(
        Condition.objects.filter(event=Event.DOWN, closed_at__isnull=True, **filters).order_by("pk")
    )


def _unmute(run: Evaluation) -> None:
    muted = _open_downs(state=Condition.State.MUTED)
    run.load(c.subject_id for c in muted)
    for condition in muted:
        device = run.device(condition.subject_id)
        rule = run.rules_by_id.get(condition.rule_id)
        if device is None or rule is None or device.status != "Down":
            close(condition, run.now)
        elif not run.in_window(device):
            condition.state = Condition.State.PENDING
            condition.due_at = run.now + timedelta(seconds=rule.delay_seconds)
            condition.save(update_fields=["state", "due_at"])


def _flaps_ended_for_held_ups(run: Evaluation) -> None:
    waiting = _open_downs(up_since__isnull=False)
    run.load(c.subject_id for c in waiting)
    ends = defaultdict(list)
    for condition in waiting:
        if run.is_flapping(condition.subject_id):
            continue
        device = run.device(condition.subject_id)
        rule = run.rules_by_id.get(condition.rule_id)
        if device is not None and device.status == "Down":
            condition.up_since = None
            condition.save(update_fields=["up_since"])
            continue
        send = rule is not None and wants_end(rule, condition)
        close(condition, run.now)
        if send and device is not None and not run.in_window(device):
            ends[rule.pk].append((condition, device))
    run.notify_ends(f"settled{int(run.now.timestamp())}", ends)


def _due_downs(run: Evaluation) -> None:
    due = _open_downs(state=Condition.State.PENDING, due_at__lte=run.now)
    run.load(c.subject_id for c in due)
    ready: dict[tuple[int, str], list[tuple[Condition, object]]] = defaultdict(list)
    for condition in due:
        device = run.device(condition.subject_id)
        rule = run.rules_by_id.get(condition.rule_id)
        if device is None or rule is None or device.status != "Down":
            # Gone, or Up by now though no recorded Up reached us: nothing to say.
            close(condition, run.now)
        elif run.in_window(device):
            condition.state = Condition.State.MUTED
            condition.save(update_fields=["state"])
        elif run.is_flapping(device.id) and run.now < flap_settled_at(rule, condition):
            continue  # held: a flap's short Downs are summarised, not sent one by one
        elif not rule.wants(Event.DOWN):
            condition.state = Condition.State.HELD  # long enough for an `up` later
            condition.save(update_fields=["state"])
        else:
            ready[(rule.pk, condition.batch)].append((condition, device))
    for (rule_id, batch), items in ready.items():
        rule = run.rules_by_id[rule_id]
        storm = len(items) > rule.storm_threshold
        if storm:
            run.notify_group(rule, "storm", batch, [device for _, device in items])
        for condition, device in items:
            if not storm:
                run.notify_device(rule, condition, Event.DOWN, device)
            condition.state = Condition.State.NOTIFIED
            condition.notified_at = run.now
            condition.storm_batch = batch if storm else ""
            condition.save(update_fields=["state", "notified_at", "storm_batch"])


def _flapping(run: Evaluation) -> None:
    rules = [rule for rule in run.rules if rule.wants(Event.FLAPPING)]
    open_flaps = _open_conditions(Event.FLAPPING)
    run.load(list(run.flappers) + [device_id for _, device_id in open_flaps])
    for (rule_id, device_id), condition in open_flaps.items():
        if run.is_flapping(device_id):
            continue
        _end_of_device_condition(run, condition, rule_id, device_id, "flapping_ended")
    if not rules:
        return
    opened_key = f"flap{int(run.now.timestamp())}"
    for device_id, flapper in run.flappers.items():
        device = run.device(device_id)
        if device is None or run.in_window(device):
            continue
        for rule in rules:
            if (rule.pk, device_id) in open_flaps or not rule.selector.matches(device):
                continue
            condition = Condition.objects.create(
                rule=rule, event=Event.FLAPPING, subject_id=device_id,
                organization_id=device.organization_id, opened_key=opened_key, since=run.now,
                due_at=run.now, state=Condition.State.NOTIFIED, notified_at=run.now,
                detail={"transitions": flapper.transitions},
            )  # fmt: skip
            detail = f"{flapper.transitions} status changes in the last hour"
            run.notify_device(rule, condition, Event.FLAPPING, device, detail=detail)


def _stuck_since(run: Evaluation, org_ids: frozenset[int] | None) -> dict[int, tuple]:
    """device id -> (device, when its oldest pending entry was first seen, entry names)."""
    pending = []
    offset = 0
    while True:
        query = DeviceQuery(pending_only=True, offset=offset, limit=MAX_PAGE_SIZE)
        page = run.model.query(query, org_ids)
        pending += page.items
        offset += MAX_PAGE_SIZE
        if offset >= page.total or not page.items:
            break
    seen = run.model.pending_first_seen((d.id, p.name) for d in pending for p in d.pending_settings)
    found = {}
    for device in pending:
        times = [(seen[(device.id, p.name)], p.name) for p in device.pending_settings
                 if (device.id, p.name) in seen]  # fmt: skip
        if times:
            oldest = min(t for t, _ in times)
            found[device.id] = (device, oldest, tuple(sorted(n for _, n in times)))
    return found


def _pending_stuck(run: Evaluation) -> None:
    rules = [rule for rule in run.rules if rule.wants(Event.PENDING_STUCK)]
    open_stuck = _open_conditions(Event.PENDING_STUCK)
    if not rules and not open_stuck:
        return
    org_ids = None
    if all(rule.organization_id is not None for rule in rules):
        org_ids = frozenset(rule.organization_id for rule in rules)
    pending = _stuck_since(run, org_ids)
    stuck_for = {}
    for rule in rules:
        horizon = run.now - timedelta(minutes=rule.stuck_minutes)
        stuck_for[rule.pk] = {
            device_id for device_id, (device, oldest, _) in pending.items()
            if oldest <= horizon and rule.selector.matches(device)
        }  # fmt: skip
    for (rule_id, device_id), condition in open_stuck.items():
        if device_id in stuck_for.get(rule_id, ()):
            continue
        _end_of_device_condition(run, condition, rule_id, device_id, "pending_cleared")
    for rule in rules:
        for device_id in sorted(stuck_for[rule.pk]):
            device, oldest, names = pending[device_id]
            if (rule.pk, device_id) in open_stuck or run.in_window(device):
                continue
            condition = Condition.objects.create(
                rule=rule, event=Event.PENDING_STUCK, subject_id=device_id,
                organization_id=device.organization_id,
                opened_key=f"stuck{int(oldest.timestamp())}", since=oldest, due_at=run.now,
                state=Condition.State.NOTIFIED, notified_at=run.now,
                detail={"pending": list(names)},
            )  # fmt: skip
            detail = f"{', '.join(names)} pending since {oldest:%Y-%m-%d %H:%M} UTC"
            run.notify_device(rule, condition, Event.PENDING_STUCK, device, detail=detail)


def _poller(run: Evaluation) -> None:
    rules = [rule for rule in run.rules if rule.wants(Event.POLLER_FAILING)]
    if not rules:
        return
    health = run.model.poll_health(polling.FLEET)
    failing = health.failures >= POLLER_FAILING_AFTER
    for rule in rules:
        condition = Condition.objects.filter(
            rule=rule, event=Event.POLLER_FAILING, closed_at__isnull=True
        ).first()
        if failing and condition is None:
            condition = _open_poller(rule, run)
        if failing and condition.state == Condition.State.PENDING and condition.due_at <= run.now:
            condition.state = Condition.State.NOTIFIED
            condition.notified_at = run.now
            condition.save(update_fields=["state", "notified_at"])
            _notify_poller(run, rule, condition, Event.POLLER_FAILING, health)
        elif not failing and condition is not None:
            close(condition, run.now)
            if condition.notified_at is not None and rule.send_recovery:
                _notify_poller(run, rule, condition, "poller_recovered", health)


def _open_poller(rule: AlertRule, run: Evaluation) -> Condition:
    return Condition.objects.create(
        rule=rule, event=Event.POLLER_FAILING, subject_id=POLLER_SUBJECT,
        opened_key=f"poll{int(run.now.timestamp())}", since=run.now,
        due_at=run.now + timedelta(seconds=rule.delay_seconds),
    )  # fmt: skip


def _notify_poller(
    run: Evaluation, rule: AlertRule, condition: Condition, event: str, health: PollHealth
):
    run.outbox.add(
        rule,
        event=event,
        key=f"{rule.pk}:{event}:poller:{condition.opened_key}",
        make=lambda key: messages.poller_message(
            key=key,
            event=event,
            rule=rule,
            at=run.now,
            since=condition.since,
            failures=health.failures,
            last_success=health.last_success,
            reason=health.last_error or "",
        ),
    )


def _profiles_failing(run: Evaluation) -> None:
    rules = [rule for rule in run.rules if rule.wants(Event.PROFILE_FAILING)]
    open_failing = _open_conditions(Event.PROFILE_FAILING)
    if not rules and not open_failing:
        return
    judged = run.judged_profiles()
    if judged is None:
        return  # no snapshot to read: nothing opens, nothing ends
    for (rule_id, profile_id), condition in open_failing.items():
        rule = run.rules_by_id.get(rule_id)
        found = judged.get(profile_id)
        if rule is not None and found is not None:
            concerned = run.profiles_of(rule)
            if concerned is None:
                continue  # cannot tell now
            if profile_id in concerned:
                if found[1].state in (FAILING, UNKNOWN):
                    continue  # still failing, or cannot tell: due ones are notified below
                close(condition, run.now)
                if condition.notified_at is not None and rule.send_recovery:
                    _notify_profile(run, rule, condition, "profile_recovered", *found)
                continue
        close(condition, run.now)  # the rule, the profile or its devices are gone: silence
    for rule in rules:
        concerned = run.profiles_of(rule)
        if concerned is None:
            continue
        for profile_id in sorted(concerned):
            found = judged.get(profile_id)
            if found is None or found[1].state != FAILING:
                continue
            condition = open_failing.get((rule.pk, profile_id))
            if condition is None:
                condition = Condition.objects.create(
                    rule=rule, event=Event.PROFILE_FAILING, subject_id=profile_id,
                    organization_id=rule.organization_id,
                    opened_key=f"profile{int(run.now.timestamp())}", since=run.now,
                    due_at=run.now + timedelta(seconds=rule.delay_seconds),
                )  # fmt: skip
            if condition.state == Condition.State.PENDING and condition.due_at <= run.now:
                condition.state = Condition.State.NOTIFIED
                condition.notified_at = run.now
                condition.save(update_fields=["state", "notified_at"])
                _notify_profile(run, rule, condition, Event.PROFILE_FAILING, *found)


def _notify_profile(run: Evaluation, rule: AlertRule, condition: Condition, event: str,
                    profile, judgement) -> None:  # fmt: skip
    run.outbox.add(
        rule,
        event=event,
        key=f"{rule.pk}:{event}:profile{profile.id}:{condition.opened_key}",
        organization_id=rule.organization_id,
        make=lambda key: messages.profile_message(
            key=key, event=event, rule=rule, profile=profile, judgement=judgement, at=run.now
        ),
    )
