"""What the dashboard itself keeps about devices: on-call claims and their history,
bulk-action jobs, and the actions sent to one device.

The devices themselves live upstream (and in the Redis read model); these rows
only name a device by its upstream id and organization.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts import audit
from devices.change_models import RecordedChange
from devices.creation_models import DeviceCreation
from devices.history_models import CountPoint, StatusChange
from devices.note_models import Note

__all__ = [
    "ActionRecord",
    "BulkItem",
    "BulkJob",
    "Claim",
    "ClaimEvent",
    "CountPoint",
    "DeviceCreation",
    "Note",
    "RecordedChange",
    "StatusChange",
]


class Claim(models.Model):
    """ "I'm on it": one person has taken a device that needs attention, with a short note.

    One claim per device. It is released by hand, or ends once the device has stayed Up
    for `devices.claims.KEPT_UP` (a flap keeps it): after each fleet poll
    (`devices.tasks`), and as a backstop when the triage page finds it Up and off the board.
    Each step is kept as a `ClaimEvent`, for the device's timeline.

    A group claim (the triage board's "I'm on it" for devices that went Down together) is
    one claim per device of the group, all with the same `group_key`: each is visible to
    whoever can see its device, and the group's claim ends with the claim of its last device.
    """

    device_id = models.PositiveIntegerField(unique=True)
    organization_id = models.PositiveIntegerField(null=True, blank=True)
    device_name = models.CharField(max_length=200, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    group_key = models.CharField(max_length=32, blank=True, db_index=True)  # "": one device

    def __str__(self) -> str:
        return f"{self.device_name or self.device_id} claimed by {self.user}"


class ClaimEvent(models.Model):
    """One step of a device's claim, kept after the claim itself is gone so that its
    timeline says who worked on the device: taken (or its note changed), released by a
    person, or ended by the dashboard once the device had stayed Up or left the fleet.
    Written once; pruned with the status history (devices.tasks.prune_history)."""

    class Kind(models.TextChoices):
        TAKEN = "taken", "Claimed"
        RELEASED = "released", "Released"
        ENDED = "ended", "Ended: the device stayed Up"
        GONE = "gone", "Ended: the device left the fleet"

    device_id = models.PositiveIntegerField()
    organization_id = models.PositiveIntegerField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    holder = models.CharField(max_length=150)  # whose claim it is
    by = models.CharField(max_length=150, blank=True)  # who acted; "": the dashboard itself
    note = models.CharField(max_length=200, blank=True)
    group_key = models.CharField(max_length=32, blank=True)  # as the claim's

    class Meta:
        indexes = [models.Index(fields=["device_id", "-at"], name="claim_event_device_newest")]

    def __str__(self) -> str:
        return f"{self.holder}'s claim of device {self.device_id}: {self.kind}"


class BulkJob(models.Model):
    """One bulk action over many devices, run by a Celery task, device by device."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done", "Finished"  # however its devices went: the page counts them
        CANCELLED = "cancelled"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    action = models.CharField(max_length=32)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    description = models.CharField(max_length=500, blank=True)  # the filter or "selected rows"
    total = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Last sign of life of the worker running the job (or of its queuing): a job queued or
    # running without one for BULK_JOB_STALL_SECONDS is queued again (devices.bulk).
    heartbeat_at = models.DateTimeField(default=timezone.now)
    # The confirmation form's one-time key (devices.form_keys): the same form sent twice
    # starts one job. None for jobs started before keys.
    key = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} on {self.total} devices ({self.state})"

    @property
    def action_label(self) -> str:
        return audit.action_label(self.action)

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.CANCELLED)


class BulkItem(models.Model):
    """One device of a bulk job. A worker claims it (PENDING -> SENDING) with a
    conditional update before sending, so a retried task never sends twice."""

    class State(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        DONE = "done", "Sent"  # accepted by the control API; the device page follows it
        FAILED = "failed"
        SKIPPED = "skipped"  # cancelled before it was sent

    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="items")
    device_id = models.PositiveIntegerField()
    device_name = models.CharField(max_length=200, blank=True)
    organization_id = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    message = models.CharField(max_length=500, blank=True)
    action_key = models.CharField(max_length=64, blank=True)  # the single-device action's key
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["job", "device_id"], name="bulk_item_once_per_job")
        ]

    def __str__(self) -> str:
        return f"{self.device_name or self.device_id}: {self.state}"


class ActionRecord(models.Model):
    """One device action a person asked for, under a one-time idempotency key, so a double
    click or a replayed form never sends twice."""

    class State(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Accepted by the control API"
        FAILED = "failed", "Refused or failed"
        UNKNOWN = "unknown", "Outcome unknown"
        REFUSED = "refused", "Not allowed: nothing sent"
        ALREADY_PENDING = "already_pending", "Already pending: nothing sent"

    class Follow(models.TextChoices):
        WAITING = "waiting", "Waiting for the device"
        CONFIRMED = "confirmed", "Confirmed by the device"
        TIMED_OUT = "timed_out", "Not confirmed in time"
        CONTRADICTED = "contradicted", "Contradicted by the device"
        NONE = "none", "Not followed"

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    device_id = models.PositiveBigIntegerField(db_index=True)
    device_name = models.CharField(max_length=255, blank=True)
    organization_id = models.PositiveIntegerField(null=True, blank=True)
    action = models.CharField(max_length=32)
    parameters = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.SENDING)
    message = models.TextField(blank=True)
    upstream_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The pending_settings entry that tracks the action until the device confirms it.
    pending_name = models.CharField(max_length=64, blank=True)
    # Whether that entry was seen pending (in the answer or a later read): only then does
    # its absence mean the device did the work.
    pending_seen = models.BooleanField(default=False)
    # The device's last_change in the upstream's answer: the action's time on its clock.
    answered_change = models.DateTimeField(null=True, blank=True)
    follow = models.CharField(max_length=16, choices=Follow.choices, default=Follow.NONE)
    resend_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resends"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table keeps the name it was created with in the operations app.
        db_table = "operations_actionrecord"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["device_id", "-created_at"]),
            # /metrics counts actions by action and state at every scrape (noc_actions).
            models.Index(fields=["action", "state"], name="action_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} on device {self.device_id} ({self.state})"

    @property
    def may_resend(self) -> bool:
        """Sending again makes sense when the outcome is unknown or the failure was not the
        control API refusing the request itself (a 4xx other than 429: the same input fails
        the same way)."""
        if self.state == self.State.UNKNOWN:
            return True
        if self.state != self.State.FAILED:
            return False
        status = self.upstream_status
        return status is None or status == 429 or status >= 500

    def action_label(self) -> str:
        return audit.action_label(self.action)
