"""Notes people leave on a device; a pinned note is a warning shown at the top of the
device page and as a marker in the device list and the triage board.

The model lives here, beside the device pages that show the warnings (devices.notes reads
them); the timeline app adds, pins and deletes notes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

# The longest note, in characters (the form says so and keeps what was typed).
NOTE_MAX_LENGTH = 2000


class Note(models.Model):
    device_id = models.PositiveBigIntegerField()
    # The device's organization when the note was written: who may read it.
    organization_id = models.PositiveIntegerField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=150)  # kept when the user is deleted
    text = models.TextField(max_length=NOTE_MAX_LENGTH)
    pinned = models.BooleanField(default=False)
    pinned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["device_id", "-created_at"], name="note_device_created"),
            # The pinned ones of a page's devices, in one query (devices.notes).
            models.Index(
                fields=["device_id"], condition=models.Q(pinned=True), name="note_pinned_device"
            ),
        ]

    def __str__(self) -> str:
        return f"Note {self.pk} on device {self.device_id} by {self.author_name}"
