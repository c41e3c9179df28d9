"""Notification rules, where they send, and what was sent.

- `AlertRule`: which devices (an organization, or the whole fleet for NOC staff, narrowed
  by fleet.device_selector), which events, how long a condition must hold before it
  notifies (`delay_seconds`), whether the end of a notified condition is sent too
  (`send_recovery`), and when many devices at once become one grouped message
  (`storm_threshold`).
- `Destination`: one apprise URL of a rule (email, Slack, a JSON webhook…). It is a
  secret: pages, logs and the audit show `masked` only.
- `Delivery`: one notification to one destination, created once: its `key` is unique per
  rule × event × subject × transition × destination, so evaluating a poll twice, or a
  worker dying and the work being redone, never sends it twice.
- `DeliveryAttempt`: each try of a delivery and the destination's answer, shown on the
  rule's page.

Events. `down`: a device went Down and stayed Down for the delay (a flapping device: for
`flap_settled_seconds`); `up`: a device came back Up after being Down longer than the
delay; `flapping`: a device changed status often (fleet.store.history), summarised rather
than sent at each change; `pending_stuck`:
pending settings not cleared after `stuck_minutes`; `profile_failing`: a connection
profile of the rule's devices turned failing; `poller_failing`: the dashboard's own poll
of the upstream is failing. A recovery (`send_recovery`) is the end of a notified
condition: the device Up again, the profile no longer failing, the poller working.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from fleet.device_selector import DeviceSelector

DEFAULT_DELAY_SECONDS = 120
DEFAULT_STORM_THRESHOLD = 20
DEFAULT_STUCK_MINUTES = 60
# ASSUMPTION: a flapping device that has stayed Down this long (or the rule's delay, if
# longer) is Down for good, so its Down is sent even while it still counts as flapping:
# the on-call engineer never waits out the flapping hour for a device that stays Down.
FLAP_SETTLED_SECONDS = 300
# A rule's numbers: (label, lowest, highest), the same for its page and the command line.
DELAY_SECONDS = ("Delay in seconds", 0, 86_400)
STUCK_MINUTES = ("Stuck after minutes", 1, 10_080)
STORM_THRESHOLD = ("Storm threshold", 2, 1_000_000)


def out_of_bounds(bounds: tuple[str, int, int], value: int) -> str:
    """Why `value` cannot be this number of a rule, in words ("" when it can)."""
    label, lowest, highest = bounds
    return (
        ""
        if lowest <= value <= highest
        else f"{label} is a whole number from {lowest} to {highest}."
    )


class Event(models.TextChoices):
    DOWN = "down", "Went Down"
    UP = "up", "Came back Up"
    FLAPPING = "flapping", "Flapping"
    PENDING_STUCK = "pending_stuck", "Pending settings stuck"
    PROFILE_FAILING = "profile_failing", "Connection profile failing"
    POLLER_FAILING = "poller_failing", "Poller failing"
    CAMPAIGN = "campaign", "Firmware campaign: started, each wave, stopped, finished"


class AlertRule(models.Model):
    name = models.CharField(max_length=120)
    # None: a fleet-wide rule (NOC staff only); otherwise the organization it belongs to.
    organization_id = models.PositiveIntegerField(null=True, blank=True)
    type_id = models.PositiveIntegerField(null=True, blank=True)
    pattern = models.CharField(max_length=100, blank=True)
    device_ids = models.JSONField(default=list, blank=True)
    events = models.JSONField(default=list)  # Event values
    delay_seconds = models.PositiveIntegerField(default=DEFAULT_DELAY_SECONDS)
    send_recovery = models.BooleanField(default=True)
    stuck_minutes = models.PositiveIntegerField(default=DEFAULT_STUCK_MINUTES)
    storm_threshold = models.PositiveIntegerField(default=DEFAULT_STORM_THRESHOLD)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The new-rule form's one-time key (devices.form_keys): the same form sent twice creates
    # one rule. None for rules made before keys, or elsewhere.
    create_key = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["enabled", "organization_id"])]

    def __str__(self) -> str:
        return f"Rule {self.pk}: {self.name}"

    @property
    def selector(self) -> DeviceSelector:
        return DeviceSelector.of(self)

    def wants(self, event: str) -> bool:
        return event in (self.events or ())

    @property
    def flap_settled_seconds(self) -> int:
        """How long a flapping device must stay Down before its Down is sent."""
        return max(self.delay_seconds, FLAP_SETTLED_SECONDS)


class Destination(models.Model):
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="destinations")
    url = models.TextField()  # an apprise URL; a secret
    # Shown in place of the URL: its scheme and host, the rest hidden (alerts.destinations).
    masked = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.masked


class Delivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        # Claimed by a worker until next_attempt_at; past it the sweeper sends it again.
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        RETRYING = "retrying", "Failed, will retry"
        FAILED = "failed", "Failed, gave up"

    key = models.CharField(max_length=200, unique=True)
    # A deleted rule leaves its deliveries as the record of what was sent: the link is
    # cleared, its name and organization (None: fleet-wide) are kept for the timelines.
    rule = models.ForeignKey(
        AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    deleted_rule_name = models.CharField(max_length=120, blank=True)
    deleted_rule_organization_id = models.PositiveIntegerField(null=True, blank=True)
    # A destination removed from its rule leaves its deliveries as the record of what was
    # sent (evidence for the NOC): the link is cleared, where it went stays in words.
    destination = models.ForeignKey(
        Destination, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    destination_masked = models.CharField(max_length=200, blank=True)  # Destination.masked
    event = models.CharField(max_length=24)  # an Event value, "recovery", "storm" or "test"
    device_id = models.PositiveIntegerField(null=True, blank=True)
    organization_id = models.PositiveIntegerField(null=True, blank=True)
    subject = models.CharField(max_length=200)  # one line: what happened to what
    body = models.JSONField(default=dict)  # the versioned webhook body (docs/OPERATIONS.md)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["rule", "-created_at"]),
            # A device's timeline lists the notifications sent about it, newest first.
            models.Index(fields=["device_id", "-created_at"], name="delivery_device_created"),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.pk}: {self.subject}"

    @property
    def where(self) -> str:
        """Where it went, masked: kept when the destination has been removed since."""
        if self.destination_masked:
            return self.destination_masked
        return self.destination.masked if self.destination else REMOVED_DESTINATION

    def event_in_words(self) -> str:
        return DELIVERY_EVENT_WORDS.get(self.event, self.event.replace("_", " ").capitalize())


REMOVED_DESTINATION = "a destination removed since"

# A delivery's event as pages name it: the rules' events and the ones only deliveries have.
DELIVERY_EVENT_WORDS = {
    **dict(Event.choices),
    "recovery": "Recovered",
    "storm": "Went Down together",
    "test": "Test notification",
}


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField()
    answer = models.CharField(max_length=500, blank=True)  # in words, secrets masked

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{'Sent' if self.ok else 'Failed'} at {self.at:%Y-%m-%d %H:%M:%S}: {self.answer}"


class EvaluationCursor(models.Model):
    """Where the evaluation of status transitions stands: the last stream entry of the
    read model's transitions it handled, and when it last ran. One row; evaluations hold
    it locked (SELECT ... FOR UPDATE) while they run, so two never read the same
    transitions."""

    name = models.CharField(max_length=40, primary_key=True)
    last_id = models.CharField(max_length=40, default="0-0")
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_id}"


class Condition(models.Model):
    """One rule's view of something wrong with one subject (a device; 0 for the poller):
    opened by a transition or a check, notified once it held for the rule's delay, closed
    when it ends. At most one open condition per rule, event and subject."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for the delay"
        MUTED = "muted", "Due during a maintenance window"
        HELD = "held", "Held long enough, nothing sent (the rule wants only the Up)"
        NOTIFIED = "notified", "Notified"
        CLOSED = "closed", "Closed"

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="conditions")
    event = models.CharField(max_length=24)
    subject_id = models.PositiveIntegerField()
    organization_id = models.PositiveIntegerField(null=True, blank=True)
    # What opened it: the stream entry of its transition, or a check's own key. Part of
    # every delivery key of this condition.
    opened_key = models.CharField(max_length=60)
    # The poll that opened it (the stream id's time): conditions of one poll make a storm.
    batch = models.CharField(max_length=30, blank=True)
    since = models.DateTimeField()
    due_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    notified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    storm_batch = models.CharField(max_length=30, blank=True)  # notified within a storm
    # A notified Down whose device came Up while flapping: the Up waits for the flap's end.
    up_since = models.DateTimeField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "event", "subject_id"],
                condition=models.Q(closed_at__isnull=True),
                name="alerts_one_open_condition",
            )
        ]
        indexes = [models.Index(fields=["state", "due_at"])]

    def __str__(self) -> str:
        return f"{self.event} of {self.subject_id} for rule {self.rule_id}: {self.state}"
