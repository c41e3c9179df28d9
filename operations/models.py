"""What the dashboard itself must remember about the work it sent upstream.

- `ImportJob` / `ImportRow`: a bulk onboarding upload, each row with its own
  state, so a retried job neither drops nor re-creates a row.
- `HeadlessRecord`: the transaction ids of headless operations the dashboard
  created (the API cannot list them without their ids); `HeadlessSubmission`: each
  scheduling form sent, under its one-time key, so that one sent twice schedules once.
- `MaintenanceSnapshot`: the last answer of PUT /inventory_device_operation/
  per device (the API has no GET for it), and the time zone its next maintenance
  was chosen in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from devices.creation_models import OneTimeForm
from operations.statuses import status_words


class ImportJob(models.Model):
    """One uploaded CSV: validated on upload (nothing sent), then run by a Celery task."""

    class State(models.TextChoices):
        VALIDATED = "validated", "Checked, nothing sent yet"
        RUNNING = "running", "Creating devices"
        DONE = "done", "Finished"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.VALIDATED)
    columns = models.JSONField(default=list, blank=True)  # the header as uploaded
    problems = models.JSONField(default=list, blank=True)  # file-level messages (block a start)
    notes = models.JSONField(default=list, blank=True)  # file-level warnings (do not block)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.filename})"


class ImportRow(models.Model):
    """One line of an upload. Only `pending` rows are ever claimed for sending (a conditional
    update to `sending`); `sending`/`unknown` rows are looked up upstream before any re-send."""

    class State(models.TextChoices):
        INVALID = "invalid", "Invalid: not sent"
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Sending"
        CREATED = "created", "Created"
        FAILED = "failed", "Refused or not sent"
        UNKNOWN = "unknown", "Outcome unknown"

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()  # line number in the uploaded file (header = 1)
    raw = models.JSONField(default=dict)  # the row as uploaded, without the password
    fields = models.JSONField(default=dict)  # what is sent, without the password
    # Kept only while the row may still be sent; cleared once it is created or failed.
    password = models.CharField(max_length=255, blank=True)
    organization_id = models.PositiveIntegerField(null=True, blank=True)
    serial_number = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=16, choices=State.choices)
    errors = models.JSONField(default=list, blank=True)  # in words, one message per problem
    device_id = models.PositiveBigIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)  # also: when it was claimed

    class Meta:
        ordering = ["job", "line"]
        constraints = [models.UniqueConstraint(fields=["job", "line"], name="one_row_per_line")]
        indexes = [models.Index(fields=["job", "state"])]

    def __str__(self) -> str:
        return f"Row {self.line} of import {self.job_id} ({self.state})"


# The operations the form offers, by name (the upstream's word -> the page's).
OPERATION_LABELS = {
    "firmware_update": "Firmware update",
    "configuration_update": "Configuration update",
}


class HeadlessRecord(models.Model):
    txn_id = models.CharField(max_length=128, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    device_serial = models.CharField(max_length=255, db_index=True)
    device_id = models.PositiveBigIntegerField(null=True, blank=True)
    # Known when the serial was in the cached fleet when the operation was created.
    organization_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    operation_type = models.CharField(max_length=64)
    scheduled_time = models.DateTimeField()
    parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=64, blank=True)
    device_online = models.BooleanField(null=True)
    status_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.txn_id} {self.operation_type} for {self.device_serial}"

    @property
    def operation_label(self) -> str:
        word = self.operation_type
        return OPERATION_LABELS.get(word) or word.replace("_", " ").capitalize()

    @property
    def status_label(self) -> str:
        return status_words(self.status)[0]

    @property
    def status_tone(self) -> str:
        return status_words(self.status)[1]


class HeadlessSubmission(OneTimeForm):
    """A "schedule an operation" form sent (devices.creation_keys); `record` once created."""

    record = models.ForeignKey(
        HeadlessRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class MaintenanceSnapshot(models.Model):
    device_id = models.PositiveBigIntegerField(unique=True)
    organization_id = models.PositiveIntegerField(null=True, blank=True)
    answer = models.JSONField(default=dict)  # the upstream's last answer, as JSON
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.CharField(max_length=150, blank=True)
    # ASSUMPTION: the upstream keeps the next maintenance as an instant (at most with an
    # offset, which is not a zone), so the IANA zone it was last saved in here is kept here,
    # per device, for the form to show it in again; "" when none was chosen here.
    next_maintenance_zone = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"Maintenance record of device {self.device_id}"
