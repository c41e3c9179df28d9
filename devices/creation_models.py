"""Forms sent under the one-time key their page was given, so that a form sent twice (a
double click in a browser without JavaScript, a browser resending after a slow answer)
acts at most once (devices.creation_keys): the "new device" forms here, the scheduled
operations' in operations.models."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class OneTimeForm(models.Model):
    """A form sent under its one-time key, and what became of it (devices.creation_keys)."""

    class State(models.TextChoices):
        SENDING = "sending", "Sending"
        CREATED = "created", "Created"
        FAILED = "failed", "Refused or failed: may be sent again"
        UNKNOWN = "unknown", "Outcome unknown"

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=16, choices=State.choices, default=State.SENDING)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.key[:8]}… {self.state}"


class DeviceCreation(OneTimeForm):
    device_id = models.PositiveBigIntegerField(null=True, blank=True)  # once created
