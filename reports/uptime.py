"""An uptime report of one organization or one device over a period: the sources read
(reports.sources), the figures computed (reports.availability), and what the page, the
CSV and the chart show. The durable history in PostgreSQL is the source; the fleet cache
only says which devices an organization has and what they are (name, type, creation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings

from reports import availability, sources
from reports.availability import DeviceFigures, DeviceHistory, Figures, Span
from reports.periods import Period

WORST = 10
NO_CACHE = (
    "The fleet cache (Redis) is unreachable: only devices whose status changed are in this "
    "report, and windows that pick devices by type or name are not applied to them."
)
NO_CACHE_DEVICE = (
    "The fleet cache (Redis) is unreachable: without a status change kept, this device's "
    "status is not known, and windows that pick devices by type or name are not applied."
)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class WindowShown:
    reason: str
    span: Span
    devices: int  # how many of the report's devices it covered


@dataclass(frozen=True)
class Bar:
    start: datetime
    end: datetime
    availability: float | None


@dataclass
class Report:
    period: Period
    organization_id: int
    device_id: int | None
    figures: Figures
    devices: list[DeviceFigures]
    worst: list[DeviceFigures]
    gaps: list[Span]
    windows: list[WindowShown]
    observed_from: datetime | None
    observed_until: datetime | None
    history_starts: datetime | None
    gap_threshold_seconds: float
    bars: list[Bar] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    device_name: str = ""


def device_organization(device_id: int) -> int | None:
    """The device's organization: the fleet cache's, else its newest status change's; None
    when neither knows the device."""
    cached = sources.cached_devices(device_id=device_id)
    if cached:
        return cached[0].organization_id
    return sources.organization_in_history(device_id)


def build(
    *,
    period: Period,
    organization_id: int,
    device_id: int | None = None,
    at: datetime | None = None,
    max_changes: int | None = None,
) -> Report:
    """The report (raises sources.TooMuchHistory past `max_changes`, else the page's bound
    sources.MAX_CHANGES, in the range)."""
    at = at or now()
    start, end = period.start, period.end
    threshold = availability.gap_threshold(settings.POLL_INTERVAL_SECONDS)
    cover = availability.coverage(
        sources.poll_times(start=start, end=end), start=start, end=end, now=at, threshold=threshold
    )
    if device_id is None:
        changes, organizations = sources.status_changes(
            start=start, end=end, organization_id=organization_id, max_changes=max_changes
        )
        cached = sources.cached_devices(organization_id=organization_id)
    else:
        changes, organizations = sources.status_changes(
            start=start, end=end, organization_id=organization_id, device_id=device_id
        )
        cached = sources.cached_devices(device_id=device_id)
    notes = [] if cached is not None else [NO_CACHE if device_id is None else NO_CACHE_DEVICE]
    roster = {d.id: d for d in cached or []}
    for known, org in organizations.items():
        if known not in roster and (device_id is not None or org == organization_id):
            roster[known] = sources.FleetDevice(known, org)
    if device_id is not None:
        roster = {k: v for k, v in roster.items() if k == device_id}
    occurrences = [
        (w, sources.occurrences(w, start=start, end=end, now=at))
        for w in sources.windows_of(organization_id=organization_id, start=start, end=end)
    ]
    histories = []
    covered: dict[tuple[str, Span], int] = {}
    for device in sorted(roster.values(), key=lambda d: d.id):
        spans = []
        for window, found in occurrences:
            if found and window.selector.matches(device):
                spans.extend(found)
                for span in found:
                    covered[(window.reason, span)] = covered.get((window.reason, span), 0) + 1
        histories.append(
            DeviceHistory(
                device_id=device.id,
                changes=tuple(changes.get(device.id, ())),
                status_now=device.status
                if device.status in (availability.UP, availability.DOWN)
                else None,
                created=device.created,
                maintenance=tuple(spans),
                name=device.name or "",
            )
        )
    result = availability.organization_figures(histories, cover, start=start, end=end)
    edges = period.bucket_edges()
    observed = availability.seconds_by_bucket(
        (d.figures.observed_spans for d in result.devices), edges
    )
    up = availability.seconds_by_bucket((d.figures.up_spans for d in result.devices), edges)
    observed_spans = [s for d in result.devices for s in d.figures.observed_spans]
    return Report(
        period=period,
        organization_id=organization_id,
        device_id=device_id,
        figures=result.figures,
        devices=result.devices,
        worst=result.worst(WORST) if device_id is None else [],
        gaps=list(cover.gaps),
        windows=sorted(
            (WindowShown(reason, span, n) for (reason, span), n in covered.items()),
            key=lambda w: (w.span.start, w.reason),
        ),
        observed_from=min((s.start for s in observed_spans), default=None),
        observed_until=max((s.end for s in observed_spans), default=None),
        history_starts=sources.history_starts(),
        gap_threshold_seconds=threshold.total_seconds(),
        bars=[
            Bar(edges[i], edges[i + 1], up[i] / observed[i] if observed[i] else None)
            for i in range(len(edges) - 1)
        ],
        notes=notes,
        device_name=histories[0].name if device_id is not None and histories else "",
    )
