"""What a write of a device's fields changed, field by field: the value before and after,
for the device's timeline (timeline/).

One row per audited write (an edit of the device, or of its maintenance record), linked
to its audit entry, which says who, when and how it ended. Values of credential-like
fields are never stored: such a field is kept as changed, its values masked
(devices.field_changes), so neither the audit nor a page ever holds them.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import AuditEntry


class ChangedRecord(models.TextChoices):
    DEVICE = "device", "Device"
    MAINTENANCE = "maintenance", "Maintenance record"


class RecordedChange(models.Model):
    """The field-by-field change of one write. `changes`: [{"field", "label", "before",
    "after", "secret"}], changed fields only; a `secret` field's values are None."""

    audit_entry = models.OneToOneField(
        AuditEntry, on_delete=models.PROTECT, related_name="recorded_change"
    )
    device_id = models.PositiveBigIntegerField()
    organization_id = models.PositiveIntegerField(null=True, blank=True)
    record = models.CharField(max_length=16, choices=ChangedRecord.choices)
    at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=list)

    class Meta:
        indexes = [models.Index(fields=["device_id", "-at"], name="recorded_change_device_at")]

    def __str__(self) -> str:
        return f"{self.record} change of device {self.device_id} at {self.at}"
