"""What the dashboard itself keeps about devices: on-call claims and bulk-action jobs.

The devices themselves live upstream (and in the Redis read model); these rows
only name a device by its upstream id and organization.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts import audit


class Claim(models.Model):
    """ "I'm on it": one person has taken a device that needs attention, with a short note.

    One claim per device. It is released by hand, or when the device is Up again:
    after a fleet poll that saw it come Up (`devices.tasks`), and as a backstop when
    the triage page finds it Up.
    """

    device_id = models.PositiveIntegerField(unique=True)
    organization_id = models.PositiveIntegerField(null=True, blank=True)
    device_name = models.CharField(max_length=200, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.device_name or self.device_id} claimed by {self.user}"


class BulkJob(models.Model):
    """One bulk action over many devices, run by a Celery task, device by device."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
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
        DONE = "done"
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
