"""Writing, reading and pruning the durable history (devices.history_models).

The poll tasks write each poll's transitions and counts after it has published
(`record_poll`); the history selectors read here when Redis lacks part of the asked
range; beat prunes rows past HISTORY_RETENTION_DAYS in batches (`prune`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count, Max

from devices.history_models import CountPoint, Seen, StatusChange
from fleet.store import history as redis_history

# Rows deleted by one statement: each is short, so pruning never holds long locks.
PRUNE_BATCH = 10_000


def _status_rows(transitions: Iterable[redis_history.Transition], seen_by: str, poll_at):
    return [
        StatusChange(
            device_id=t.device_id,
            organization_id=t.organization_id,
            from_status=t.from_status,
            to_status=t.to_status,
            at=t.at,
            seen_by=seen_by,
            poll_at=poll_at,
        )
        for t in transitions
    ]


def record_poll(
    *,
    seen_by: str,
    at: datetime,
    transitions: Iterable[redis_history.Transition],
    org_counts: Mapping[int, tuple[int, int]],
) -> None:
    """One poll's transitions and its Up/Down counts (one point per organization and one
    for the whole fleet, as Redis keeps them), each table in one statement. A redelivered
    poll writing the same rows again is ignored by the unique keys."""
    counts = [
        CountPoint(organization_id=org, at=at, up=up, down=down, seen_by=seen_by)
        for org, (up, down) in org_counts.items()
    ]
    if org_counts:
        counts.append(
            CountPoint(
                organization_id=None,
                at=at,
                up=sum(up for up, _ in org_counts.values()),
                down=sum(down for _, down in org_counts.values()),
                seen_by=seen_by,
            )
        )
    with transaction.atomic():
        StatusChange.objects.bulk_create(
            _status_rows(transitions, seen_by, at), ignore_conflicts=True
        )
        CountPoint.objects.bulk_create(counts, ignore_conflicts=True)


def record_refresh(transitions: Iterable[redis_history.Transition], *, at: datetime) -> None:
    """The transitions a "refresh now" saw (polls that follow never report them)."""
    StatusChange.objects.bulk_create(
        _status_rows(transitions, Seen.REFRESH, at), ignore_conflicts=True
    )


def prune(*, older_than: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete rows before `older_than`, at most `batch` rows a statement; the number deleted."""
    deleted = 0
    for model in (StatusChange, CountPoint):
        table = model._meta.db_table
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {table} WHERE id IN "  # noqa: S608 -- table names are ours
                    f"(SELECT id FROM {table} WHERE at < %s LIMIT %s)",
                    [older_than, batch],
                )
                done = cursor.rowcount
            deleted += done
            if done < batch:
                break
    return deleted


def kept_since() -> datetime | None:
    """When the durable history starts: the oldest count point kept (every poll writes
    one), None when there is none yet."""
    return CountPoint.objects.order_by("at").values_list("at", flat=True).first()


def _scoped(queryset, org_ids: frozenset[int] | None):
    return queryset if org_ids is None else queryset.filter(organization_id__in=org_ids)


def status_changes(
    *, device_id: int, since: datetime, org_ids: frozenset[int] | None, limit: int = 1000
) -> list[redis_history.Transition]:
    """One device's transitions at or after `since`, oldest first (the newest `limit`)."""
    rows = _scoped(StatusChange.objects.filter(device_id=device_id, at__gte=since), org_ids)
    newest = list(rows.order_by("-at", "-id")[:limit])
    return [
        redis_history.Transition(r.device_id, r.organization_id, r.from_status, r.to_status, r.at)
        for r in reversed(newest)
    ]


def first_change_at(*, device_id: int, since: datetime) -> datetime | None:
    return (
        StatusChange.objects.filter(device_id=device_id, at__gte=since)
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    )


def count_series(
    *, since: datetime, until: datetime, org_ids: frozenset[int] | None
) -> dict[int | str, list[redis_history.CountPoint]]:
    """Up/Down per poll between `since` and `until`, in Redis's shape: per organization of
    `org_ids`; for every organization (None) only the whole fleet, under "all" (what the
    overview reads; the organizations' own points would be read for nothing)."""
    rows = CountPoint.objects.filter(at__gte=since, at__lte=until)
    if org_ids is None:
        wanted: list[int | str] = ["all"]
        rows = rows.filter(organization_id__isnull=True)
    else:
        wanted = sorted(org_ids)
        rows = rows.filter(organization_id__in=org_ids)
    series: dict[int | str, list[redis_history.CountPoint]] = {org: [] for org in wanted}
    for org, at, up, down in rows.order_by("at").values_list("organization_id", "at", "up", "down"):
        series["all" if org is None else org].append(redis_history.CountPoint(at, up, down))
    return series


def first_count_at(
    *, since: datetime, until: datetime, org_ids: frozenset[int] | None
) -> datetime | None:
    rows = CountPoint.objects.filter(at__gte=since, at__lte=until)
    rows = (
        rows.filter(organization_id__isnull=True)
        if org_ids is None
        else rows.filter(organization_id__in=org_ids)
    )
    return rows.order_by("at").values_list("at", flat=True).first()


def flapping_devices(
    *, since: datetime, min_transitions: int, org_ids: frozenset[int] | None
) -> list[redis_history.Flapper]:
    """Devices with at least `min_transitions` transitions at or after `since`."""
    rows = (
        _scoped(StatusChange.objects.filter(at__gte=since), org_ids)
        .values("device_id")
        .annotate(transitions=Count("id"), organization_id=Max("organization_id"))
        .filter(transitions__gte=min_transitions)
    )
    return [
        redis_history.Flapper(r["device_id"], r["organization_id"], r["transitions"]) for r in rows
    ]
