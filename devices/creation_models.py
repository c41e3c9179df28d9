"""The "new device" forms sent, each under the one-time key its page was given, so that a
form sent twice (a double click in a browser without JavaScript, a browser resending after
a slow answer) creates at most one device (devices.creation_keys)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class DeviceCreation(models.Model):
    class State(models.TextChoices):
        SENDING = "sending", "Sending"
        CREATED = "created", "Created"
        FAILED = "failed", "Refused or failed: may be sent again"
        UNKNOWN = "unknown", "Outcome unknown"

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=16, choices=State.choices, default=State.SENDING)
    device_id = models.PositiveBigIntegerField(null=True, blank=True)  # once created
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"new device form {self.key[:8]}… {self.state}"
