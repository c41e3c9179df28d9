"""The durable status history in PostgreSQL: every status transition a poll (or a
"refresh now") saw, and every poll's Up/Down counts per organization.

Redis keeps the same history for a week (fleet.store.history) as the fast copy; these
tables survive a Redis restart and keep HISTORY_RETENTION_DAYS (devices.history_store
prunes older rows). Append-only: a row is never updated. No backfill is possible, as the
control API keeps no history: the history starts with the first poll that wrote here.
The rows carry ids, statuses and times only, never a secret.
"""

from __future__ import annotations

from django.db import models


class Seen(models.TextChoices):
    """Which kind of poll saw a transition."""

    FULL = "full", "Full poll"
    INCREMENTAL = "incremental", "Incremental poll"
    REFRESH = "refresh", "Refresh of one device"


class StatusChange(models.Model):
    """One device's status transition. A poll redelivered after a crash writes the same
    (device, time, new status) again: the unique key keeps it once."""

    id = models.BigAutoField(primary_key=True)
    device_id = models.PositiveBigIntegerField()
    organization_id = models.PositiveIntegerField(null=True, blank=True)
    from_status = models.CharField(max_length=8)
    to_status = models.CharField(max_length=8)
    # The upstream's time of the change when it gives one, else when the poll saw it.
    at = models.DateTimeField()
    seen_by = models.CharField(max_length=12, choices=Seen.choices)
    poll_at = models.DateTimeField()  # the start of the poll (or refresh) that saw it

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["device_id", "at", "to_status"], name="status_change_once"
            )
        ]
        indexes = [
            # The unique key's index serves (device, time); these the organization, reports
            # and pruning.
            models.Index(fields=["organization_id", "at"], name="status_change_org_at"),
            # A report's last change before its range, per device (reports.sources).
            models.Index(
                fields=["organization_id", "device_id", "-at", "-id"],
                name="status_change_org_device",
            ),
            models.Index(fields=["at"], name="status_change_at"),
        ]

    def __str__(self) -> str:
        return f"device {self.device_id} {self.from_status} -> {self.to_status} at {self.at}"


class CountPoint(models.Model):
    """One poll's Up/Down counts of one organization; `organization_id` None: the whole
    fleet, as Redis's "all" series (the sum over organizations)."""

    id = models.BigAutoField(primary_key=True)
    organization_id = models.PositiveIntegerField(null=True, blank=True)
    at = models.DateTimeField()  # the poll's start, as in Redis
    up = models.PositiveIntegerField()
    down = models.PositiveIntegerField()
    seen_by = models.CharField(max_length=12, choices=Seen.choices)

    class Meta:
        constraints = [
            # Two partial keys, as NULLs are distinct in a unique key: each organization's
            # point of a poll once, and the fleet's once.
            models.UniqueConstraint(
                fields=["organization_id", "at"],
                condition=models.Q(organization_id__isnull=False),
                name="count_point_once",
            ),
            models.UniqueConstraint(
                fields=["at"],
                condition=models.Q(organization_id__isnull=True),
                name="count_point_fleet_once",
            ),
        ]
        indexes = [models.Index(fields=["at"], name="count_point_at")]

    def __str__(self) -> str:
        return f"organization {self.organization_id} at {self.at}: {self.up} up, {self.down} down"
