"""Maintenance windows: planned work during which devices notify nobody.

A window is about the devices of one organization that its selector picks
(fleet.device_selector: a device, a set of devices, a type, a name/serial pattern, or
the whole organization when nothing else is set). It is one-off (`starts_at` to
`ends_at`) or recurring: daily, or weekly on some weekdays, at a local time of day in
its own time zone for `duration_minutes`, from `starts_at` until `ends_at` (or for
ever when that is empty). Ending it by hand sets `ended_at`; it is then over for good.

A window counts only from when it was kept (`counts_from`): one made now with a start,
or a "from", in the past does not rewrite what was observed before it existed (the
reports clip its occurrences there; `first_start` is when it is first in force).

`source` says where it came from: made on the windows page or the command line, or
kept by the dashboard for a device whose maintenance record says
operational_status "maintenance" (open while the record says so). A record window
names its device in `record_device_id` too, so that the database keeps at most one
open record window per device.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import models
from django.utils import timezone

from fleet.device_selector import DeviceSelector


class MaintenanceWindow(models.Model):
    class Recurrence(models.TextChoices):
        ONCE = "once", "Once"
        DAILY = "daily", "Every day"
        WEEKLY = "weekly", "Every week"

    class Source(models.TextChoices):
        WINDOW = "window", "Planned window"
        RECORD = "record", "Device maintenance record"

    organization_id = models.PositiveIntegerField()
    type_id = models.PositiveIntegerField(null=True, blank=True)
    pattern = models.CharField(max_length=100, blank=True)
    device_ids = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_name = models.CharField(max_length=150, blank=True)  # kept if the user goes
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.WINDOW)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)  # empty: recurring for ever / record open
    recurrence = models.CharField(max_length=8, choices=Recurrence.choices, default=Recurrence.ONCE)
    weekdays = models.JSONField(default=list, blank=True)  # weekly: 0 = Monday … 6 = Sunday
    local_start = models.TimeField(null=True, blank=True)  # recurring: time of day in time_zone
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)  # recurring
    time_zone = models.CharField(max_length=64, default="UTC")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # A record window's device (None for planned windows).
    record_device_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["organization_id", "ended_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["record_device_id"],
                condition=models.Q(ended_at__isnull=True, record_device_id__isnull=False),
                name="one_open_record_window_per_device",
            )
        ]

    def __str__(self) -> str:
        return f"Maintenance window {self.pk}: {self.reason}"

    @cached_property  # tested against every row of a page: built once per window read
    def selector(self) -> DeviceSelector:
        return DeviceSelector.of(self)

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    @property
    def counts_from(self) -> datetime:
        """From when the window leaves anything out: a planned window from when it was kept
        (`created_at`), or its start when that is later; a window made now does not hide
        what was observed before it existed.

        ASSUMPTION: a record window counts from its start: that is when its maintenance
        record was saved saying "maintenance" (a fact, not a plan), including the windows
        that the migration 0003 opened later for records saved before windows existed."""
        if self.source == self.Source.RECORD or self.created_at is None:
            return self.starts_at
        return max(self.starts_at, self.created_at)

    def first_start(self) -> datetime | None:
        """When the window is first in force as planned, from `counts_from` on and whatever
        an end by hand says (None when it never would be): an occurrence already running
        when it was kept counts from then. A window ended by hand before this moment was
        cancelled before it started."""
        since = self.counts_from
        if self._planned_occurrence_at(since) is not None:
            return since
        start = self._planned_next_start(since)
        if start is None or (self.ends_at is not None and start >= self.ends_at):
            return None
        return start

    def occurrence_at(self, moment: datetime) -> tuple[datetime, datetime | None] | None:
        """The (start, end) of the occurrence in force at `moment`, or None. The end is
        None for an open record window."""
        if self.ended_at is not None and moment >= self.ended_at:
            return None
        return self._planned_occurrence_at(moment)

    def _planned_occurrence_at(self, moment: datetime) -> tuple[datetime, datetime | None] | None:
        """`occurrence_at` as if the window had not been ended by hand (its end is cut)."""
        if moment < self.starts_at or (self.ends_at is not None and moment >= self.ends_at):
            return None
        if self.recurrence == self.Recurrence.ONCE:
            return self.starts_at, self._cut(self.ends_at)
        length = timedelta(minutes=self.duration_minutes or 0)
        local_day = moment.astimezone(self.zone).date()
        # An occurrence that started yesterday (or earlier, for long ones) may still run.
        for back in range(0, length.days + 2):
            start = self._local_start_on(local_day - timedelta(days=back))
            if start is None or start < self.starts_at:
                continue
            if start <= moment < start + length:
                return start, self._cut(start + length)
        return None

    def is_active(self, moment: datetime) -> bool:
        return self.occurrence_at(moment) is not None

    def next_start(self, after: datetime) -> datetime | None:
        """When the first occurrence that starts after `after` starts, or None when none
        will (over, ended by hand, or past `ends_at`)."""
        start = self._planned_next_start(after)
        return start if start is not None and self._runs_at(start) else None

    def _planned_next_start(self, after: datetime) -> datetime | None:
        """The first start after `after` by the plan alone (not cut by `ends_at` or an end
        by hand)."""
        if self.recurrence == self.Recurrence.ONCE:
            return self.starts_at if self.starts_at > after else None
        if self.recurrence == self.Recurrence.WEEKLY and not self.weekdays:
            return None
        first = max(after, self.starts_at).astimezone(self.zone).date()
        # A weekly window's next start is at most a week (and a day, across a DST change) away.
        for ahead in range(0, 9):
            start = self._local_start_on(first + timedelta(days=ahead))
            if start is None or start <= after or start < self.starts_at:
                continue
            return start
        return None

    def _runs_at(self, start: datetime) -> bool:
        """Whether an occurrence starting at `start` is before `ends_at` and any end by hand."""
        return all(end is None or start < end for end in (self.ends_at, self.ended_at))

    def _local_start_on(self, day: date) -> datetime | None:
        if self.recurrence == self.Recurrence.WEEKLY and day.weekday() not in (self.weekdays or []):
            return None
        at = datetime.combine(day, self.local_start or time(0), tzinfo=self.zone)
        return at.astimezone(UTC)

    def _cut(self, end: datetime | None) -> datetime | None:
        """An end moved earlier by `ends_at` and by an end by hand."""
        ends = [e for e in (end, self.ends_at, self.ended_at) if e is not None]
        return min(ends) if ends else None
