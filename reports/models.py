"""Reports prepared by a worker: an organization's report too large to compute while a
page waits (reports.prepared)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class PreparedReport(models.Model):
    """One organization's report over one period, asked for by a person and built by a
    Celery task; the report itself kept compressed once built."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        BUILDING = "building", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    organization_id = models.PositiveIntegerField()
    period = models.CharField(max_length=16)  # reports.periods' kind
    first_day = models.DateField()
    last_day = models.DateField()
    zone = models.CharField(max_length=64)  # the display zone the days are read in
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    devices = models.PositiveIntegerField(null=True, blank=True)
    report = models.BinaryField(null=True, blank=True)  # reports.prepared's encoding
    shape = models.CharField(max_length=16, blank=True)  # reports.prepared.SHAPE when built

    class Meta:
        indexes = [
            models.Index(
                fields=["organization_id", "period", "first_day", "last_day", "-requested_at"],
                name="prepared_report_newest",
            )
        ]

    def __str__(self) -> str:
        return f"report of {self.organization_id} {self.first_day}–{self.last_day} ({self.state})"
