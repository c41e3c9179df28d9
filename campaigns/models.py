"""A firmware campaign, the devices it updates (one row each, planned when it starts) and
the log of its decisions.

The rows name devices by their upstream id and organization only; the devices live
upstream. A device's row is also its update's send-once record: a worker claims it with
a conditional update before the PATCH (see campaigns.sending).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Campaign(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        STOPPED = "stopped", "Stopped by its rules"
        FINISHED = "finished", "Finished"
        CANCELLED = "cancelled", "Cancelled"

    name = models.CharField(max_length=200, blank=True)
    organization_id = models.PositiveIntegerField()
    type_id = models.PositiveIntegerField(null=True, blank=True)  # None: every type
    serials = models.JSONField(default=list, blank=True)  # []: every device of the target
    # A saved view of the device list narrowing the target (read when the campaign starts);
    # its name is kept for the page should the view be deleted.
    saved_view = models.ForeignKey(
        "saved_views.SavedView", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    saved_view_name = models.CharField(max_length=100, blank=True)
    image_id = models.PositiveIntegerField()
    canary = models.PositiveIntegerField(default=1)  # devices of the first wave
    # The later waves, as cumulative percentages of the target (the last one is 100).
    waves = models.JSONField(default=list)
    soak_seconds = models.PositiveIntegerField(default=600)
    confirm_timeout_seconds = models.PositiveIntegerField(default=1800)
    max_failed_percent = models.FloatField(default=10.0)
    max_down_percent = models.FloatField(default=10.0)
    # A device Down at its turn is tried again this many times, this far apart, then skipped.
    down_retries = models.PositiveSmallIntegerField(default=3)
    retry_seconds = models.PositiveIntegerField(default=300)
    # The schedule window: nothing is sent before `not_before`, nor outside the hours
    # [hours_from, hours_to) of `time_zone` (both None: any hour).
    not_before = models.DateTimeField(null=True, blank=True)
    hours_from = models.PositiveSmallIntegerField(null=True, blank=True)
    hours_to = models.PositiveSmallIntegerField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")

    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # None: the command line, which acts for every organization
    created_at = models.DateTimeField(default=timezone.now)
    # The new-campaign form's one-time key (devices.form_keys): sent twice, it makes one.
    create_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # A draft's: when Start was pressed, while a worker chooses its devices (`starting`).
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Devices per wave, the canary first: fixed when the campaign starts (campaigns.waves).
    wave_sizes = models.JSONField(default=list, blank=True)
    wave = models.PositiveSmallIntegerField(default=0)  # the current wave, 1 = canary
    wave_started_at = models.DateTimeField(null=True, blank=True)
    # Why its rules stopped it; a draft's: why its last start did not start it.
    stop_reason = models.CharField(max_length=500, blank=True)
    # A wave whose stop was overridden by a person resuming the campaign: its rules are not
    # applied again (the next waves' are).
    overridden_wave = models.PositiveSmallIntegerField(default=0)
    # The version devices reported after this image applied (learned from the first one).
    image_version = models.CharField(max_length=100, blank=True)
    # One worker advances a campaign at a time: it holds this lease, renewed as it goes.
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"campaign {self.pk}: image {self.image_id} ({self.state})"

    @property
    def wave_count(self) -> int:
        return len(self.wave_sizes) if self.wave_sizes else 1 + len(self.waves)

    @property
    def starting(self) -> bool:
        """Start was pressed and a worker is choosing its devices (campaigns.services)."""
        return self.state == self.State.DRAFT and self.started_at is not None

    @property
    def state_words(self) -> str:
        return "Starting" if self.starting else self.get_state_display()

    @property
    def ended(self) -> bool:
        return self.state in (self.State.STOPPED, self.State.FINISHED, self.State.CANCELLED)


class Outcome(models.TextChoices):
    WAITING = "waiting", "Not sent yet"
    RETRY = "retry", "Down at its turn: tried again later"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent, waiting for the device"
    CONFIRMED = "confirmed", "Updated"
    ALREADY = "already", "Already on this image"
    # Never sent: refused by the control API, or not sendable (gone, moved, no right).
    FAILED = "failed", "Failed"
    UNCONFIRMED = "unconfirmed", "Not confirmed in time"
    DOWN = "down", "Down after the update"
    SKIPPED = "skipped", "Skipped (Down)"
    UNKNOWN = "unknown", "Outcome unknown"


# A cancelled campaign sends nothing more: its devices still waiting are never sent.
NEVER_SENT = "Not sent: the campaign was cancelled"


def outcome_label(campaign_state: str, outcome: str) -> str:
    """An outcome in words for a campaign in `campaign_state`."""
    if campaign_state == "cancelled" and outcome in (Outcome.WAITING, Outcome.RETRY):
        return NEVER_SENT
    return Outcome(outcome).label


# Outcomes no later tick changes (CONFIRMED still soaks until `soaked`).
FINAL = {
    Outcome.ALREADY,
    Outcome.FAILED,
    Outcome.UNCONFIRMED,
    Outcome.DOWN,
    Outcome.SKIPPED,
    Outcome.UNKNOWN,
}
# Outcomes that count against the failure rule.
FAILURES = {Outcome.FAILED, Outcome.UNCONFIRMED, Outcome.UNKNOWN}


class CampaignDevice(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="devices")
    device_id = models.PositiveBigIntegerField()
    device_name = models.CharField(max_length=255, blank=True)
    serial_number = models.CharField(max_length=255, blank=True)
    organization_id = models.PositiveIntegerField(null=True, blank=True)
    wave = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.WAITING)
    message = models.CharField(max_length=500, blank=True)
    version_before = models.CharField(max_length=100, blank=True)
    version_after = models.CharField(max_length=100, blank=True)
    # Seen Down in the soak-long period before the campaign started (the baseline).
    down_before = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)  # turns it was Down at
    next_try_at = models.DateTimeField(null=True, blank=True)
    sending_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    soaked = models.BooleanField(default=False)  # confirmed and Up through the soak
    down_at = models.DateTimeField(null=True, blank=True)
    upstream_status = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["wave", "device_id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "device_id"], name="campaign_device_once")
        ]
        indexes = [models.Index(fields=["campaign", "wave", "outcome"])]

    def __str__(self) -> str:
        return f"{self.device_name or self.device_id}: {self.outcome}"


class Decision(models.Model):
    """One line of a campaign's timeline: "wave 2 started", "stopped: 4 of 20 Down"."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="decisions")
    at = models.DateTimeField(default=timezone.now)
    text = models.CharField(max_length=500)
    by = models.CharField(max_length=150, blank=True)  # who, for a person's decision

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.text
