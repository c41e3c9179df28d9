"""Availability over a range, computed from a device's status changes, the polls' times and
the maintenance windows in force for it: plain Python, no database, no views.

Definitions (docs/ARCHITECTURE.md, "Uptime reports"):

- Observed: a moment in [start, end) before now, after the first poll the durable history
  keeps and after the device was created, between two polls no further apart than the
  gap threshold, and outside every maintenance window in force for the device.
- A gap: two consecutive successful polls further apart than the threshold (ASSUMPTION:
  three poll intervals), or the last one longer ago than that: no successful poll, the
  poller was not running or its polls failed (the history keeps successful polls only,
  so which is not known); the whole span between them is left out, neither Up nor Down.
- Up / Down: the device's status at a moment is the new status of its last change at or
  before it; before its first known change, that change's old status; with no change
  known at all, its status now (from the fleet cache), or not observed when unknown.
- An outage: a change to Down at a moment in the range that no maintenance window in force
  for the device covers; it lasts until the next change to Up (still Down at the end of
  the range: counted, "ongoing", its length up to that end, left out of the mean time to
  recovery). A device already Down at the range's start (outside a window) has an outage
  from that start too, "began before", left out of the mean time to recovery.
  An outage's length is the device's own times (its change to Down, its change back Up),
  so it may hold time not observed, which the Down time leaves out: each outage says how
  much of it fell in a gap, in a maintenance window, or before the history starts.
  ASSUMPTION: the real time to recovery matters more to a NOC than the part observed, so
  the length (and the longest, and the mean time to recovery) stays the device's, and the
  page says the part not observed beside it.
- Availability: time Up ÷ time observed (None when nothing was observed).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

UP, DOWN = "Up", "Down"
# ASSUMPTION: successful polls further apart than three poll intervals mean a gap: the
# poller was not running or its polls failed.
GAP_FACTOR = 3


@dataclass(frozen=True, slots=True, order=True)
class Span:
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True, slots=True)
class Change:
    at: datetime
    from_status: str
    to_status: str


@dataclass(frozen=True)
class DeviceHistory:
    """What the report knows of one device. `changes`: its status changes in the range and
    the last one before it, oldest first; `status_now`: the fleet cache's status (None
    when unknown); `created`: when the upstream says it was created (None: unknown);
    `maintenance`: the windows' occurrences in force for it (any order, may overlap)."""

    device_id: int
    changes: tuple[Change, ...] = ()
    status_now: str | None = None
    created: datetime | None = None
    maintenance: tuple[Span, ...] = ()
    name: str = ""


@dataclass(frozen=True)
class Coverage:
    """When polls succeeded: observed spans, and gaps with no successful poll, within the
    range."""

    polled: tuple[Span, ...]
    gaps: tuple[Span, ...]
    first_poll: datetime | None


@dataclass(frozen=True)
class Outage:
    start: datetime
    end: datetime
    ongoing: bool  # still Down at the end of the range (or now)
    # Down already when the range began: `start` is the range's start, and its time to
    # recovery is not known from the range (left out of the mean).
    began_before: bool = False
    # Seconds of it not observed (so not in the Down time), by why: in gaps with no
    # successful poll, in maintenance windows, before the history's first poll. Defaults,
    # as for the fields below: a report pickled before they existed still loads.
    in_gaps: float = 0.0
    in_maintenance: float = 0.0
    before_data: float = 0.0
    # Whose outage, in an organization's list only (a device's own need no name).
    device_id: int | None = None
    device_name: str = ""

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass
class Figures:
    """The report's numbers for one device or a set of them (seconds, exact)."""

    observed: float = 0.0
    up: float = 0.0
    outages: list[Outage] = field(default_factory=list)
    observed_spans: list[Span] = field(default_factory=list)
    up_spans: list[Span] = field(default_factory=list)
    maintenance: list[Span] = field(default_factory=list)

    @property
    def down(self) -> float:
        return self.observed - self.up

    @property
    def availability(self) -> float | None:
        return self.up / self.observed if self.observed > 0 else None

    @property
    def longest(self) -> Outage | None:
        return max(self.outages, key=lambda o: o.seconds, default=None)

    @property
    def mean_time_to_recovery(self) -> float | None:
        ended = [o.seconds for o in self.outages if not (o.ongoing or o.began_before)]
        return sum(ended) / len(ended) if ended else None


@dataclass(frozen=True)
class DeviceFigures:
    device_id: int
    name: str
    figures: Figures


@dataclass(frozen=True)
class OrganizationFigures:
    figures: Figures  # sums over the devices (time is device-time)
    devices: list[DeviceFigures]

    def worst(self, count: int = 10) -> list[DeviceFigures]:
        """The devices with the lowest availability (Down time breaks ties), only those
        that were Down at all."""
        down = [d for d in self.devices if d.figures.down > 0]
        down.sort(key=lambda d: (d.figures.availability or 0.0, -d.figures.down, d.device_id))
        return down[:count]


# --- spans -------------------------------------------------------------------------


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, overlapping and touching spans joined; empty ones dropped."""
    merged: list[Span] = []
    for span in sorted(s for s in spans if s.end > s.start):
        if merged and span.start <= merged[-1].end:
            if span.end > merged[-1].end:
                merged[-1] = Span(merged[-1].start, span.end)
        else:
            merged.append(span)
    return merged


def clip(spans: Iterable[Span], start: datetime, end: datetime) -> list[Span]:
    return [
        Span(max(s.start, start), min(s.end, end)) for s in spans if s.end > start and s.start < end
    ]


def subtract(spans: Sequence[Span], holes: Sequence[Span]) -> list[Span]:
    """`spans` less `holes` (both merged)."""
    result: list[Span] = []
    for span in spans:
        pieces = [span]
        for hole in holes:
            if hole.start >= span.end:
                break
            cut: list[Span] = []
            for p in pieces:
                if hole.end <= p.start or hole.start >= p.end:
                    cut.append(p)
                    continue
                if hole.start > p.start:
                    cut.append(Span(p.start, hole.start))
                if hole.end < p.end:
                    cut.append(Span(hole.end, p.end))
            pieces = cut
        result.extend(pieces)
    return result


def intersect(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """Both merged and sorted."""
    result, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i].start, b[j].start), min(a[i].end, b[j].end)
        if lo < hi:
            result.append(Span(lo, hi))
        if a[i].end < b[j].end:
            i += 1
        else:
            j += 1
    return result


def total(spans: Iterable[Span]) -> float:
    return sum(s.seconds for s in spans)


def covers(spans: Iterable[Span], moment: datetime) -> bool:
    return any(s.start <= moment < s.end for s in spans)


# --- polls -------------------------------------------------------------------------


def gap_threshold(poll_interval_seconds: float) -> timedelta:
    return timedelta(seconds=GAP_FACTOR * poll_interval_seconds)


def coverage(
    polls: Sequence[datetime],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    threshold: timedelta,
) -> Coverage:
    """Which parts of [start, min(end, now)) the poller covered. `polls`: the start times
    of the polls, sorted, including the last one before `start` and the first after `end`
    when there are such. Now counts as the next poll: the last poll longer ago than the
    threshold opens a gap up to now."""
    limit = min(end, now)
    polled: list[Span] = []
    gaps: list[Span] = []
    marks = [p for p in polls if p <= now]
    if marks and marks[-1] < now:
        marks.append(now)
    for before, after in zip(marks, marks[1:], strict=False):
        spans = gaps if after - before > threshold else polled
        # Consecutive polls make one span (a month holds some 90,000 polls).
        if spans and spans[-1].end == before:
            spans[-1] = Span(spans[-1].start, after)
        else:
            spans.append(Span(before, after))
    return Coverage(
        polled=tuple(merge(clip(polled, start, limit))),
        gaps=tuple(merge(clip(gaps, start, limit))),
        first_poll=polls[0] if polls else None,
    )


# --- one device --------------------------------------------------------------------


def _status_spans(history: DeviceHistory, start: datetime, end: datetime) -> list[tuple[Span, str]]:
    """[start, end) cut where the device's status changed, each piece with its status."""
    changes = history.changes
    before = [c for c in changes if c.at <= start]
    if before:
        status: str | None = before[-1].to_status
    elif changes:
        status = changes[0].from_status
    else:
        status = history.status_now
    pieces: list[tuple[Span, str]] = []
    cursor = start
    for change in changes:
        if change.at <= start:
            continue
        if change.at >= end:
            break
        if status is not None and change.at > cursor:
            pieces.append((Span(cursor, change.at), status))
        cursor, status = change.at, change.to_status
    if status is not None and end > cursor:
        pieces.append((Span(cursor, end), status))
    return pieces


def _begins(history: DeviceHistory, start: datetime) -> datetime:
    """When the device's time in the range begins: the range's start, or its creation."""
    return max(start, history.created) if history.created else start


def device_figures(
    history: DeviceHistory, cover: Coverage, *, start: datetime, end: datetime
) -> Figures:
    """One device's figures over [start, end) (the coverage already stops at now)."""
    limit = max((s.end for s in cover.polled + cover.gaps), default=start)
    begins = _begins(history, start)
    windows = merge(clip(history.maintenance, start, min(end, limit) if limit > start else end))
    pieces = _status_spans(history, begins, limit) if limit > begins else []
    known = merge(span for span, _ in pieces)
    observed = subtract(intersect(list(cover.polled), known), windows)
    up = intersect(observed, merge(span for span, status in pieces if status == UP))
    outages = []
    # Down already at the range's start, unless planned work covers it (as a change would be).
    already = begins == start < limit and _down_before(history, start)
    if already and not covers(history.maintenance, start):
        outages.append(_outage(history.changes, start, limit, began_before=True))
    for i, change in enumerate(history.changes):
        if change.to_status != DOWN or not (begins <= change.at < limit):
            continue
        if covers(history.maintenance, change.at):
            continue  # Down during planned work: not an outage
        outages.append(_outage(history.changes[i + 1 :], change.at, limit))
    return Figures(
        observed=total(observed),
        up=total(up),
        outages=[_not_observed(o, observed, cover.gaps, windows) for o in outages],
        observed_spans=observed,
        up_spans=up,
        maintenance=windows,
    )


def _down_before(history: DeviceHistory, moment: datetime) -> bool:
    """The device was Down before `moment` and still at it (a change to Down at `moment`
    itself starts an outage of its own)."""
    before = [c for c in history.changes if c.at <= moment]
    if before:
        return before[-1].to_status == DOWN and before[-1].at < moment
    if history.changes:
        return history.changes[0].from_status == DOWN
    return history.status_now == DOWN


def _not_observed(
    outage: Outage, observed: Sequence[Span], gaps: Sequence[Span], windows: Sequence[Span]
) -> Outage:
    """The outage with how much of it was not observed, and why (`observed`, `gaps` and
    `windows`: the device's, merged)."""
    span = [Span(outage.start, outage.end)]
    in_gaps = intersect(span, gaps)
    in_maintenance = total(intersect(subtract(span, in_gaps), windows))
    # The rest not observed is before the history's first poll (within an outage the
    # device's status is known, and polls or gaps cover all else up to now).
    rest = outage.seconds - total(intersect(span, observed)) - total(in_gaps) - in_maintenance
    return replace(
        outage, in_gaps=total(in_gaps), in_maintenance=in_maintenance, before_data=max(rest, 0.0)
    )


def _outage(later: Iterable[Change], start: datetime, limit: datetime, **kind) -> Outage:
    """The outage from `start`: to the first recovery among `later` changes, or ongoing."""
    recovery = next((c.at for c in later if c.to_status == UP and c.at > start), None)
    if recovery is not None and recovery <= limit:
        return Outage(start, recovery, ongoing=False, **kind)
    return Outage(start, limit, ongoing=True, **kind)


# --- several devices ---------------------------------------------------------------


def organization_figures(
    histories: Iterable[DeviceHistory], cover: Coverage, *, start: datetime, end: datetime
) -> OrganizationFigures:
    """Each device's figures and their sums (observed and Up are device-time)."""
    devices = []
    summed = Figures()
    windows: list[Span] = []
    # Devices with the same history have the same figures (most change nothing in a range):
    # they are worked out once, and shared, as nothing changes a device's figures after.
    known: dict[tuple, Figures] = {}
    for history in histories:
        same = (history.changes, history.status_now, _begins(history, start), history.maintenance)
        figures = known.get(same)
        if figures is None:
            figures = known[same] = device_figures(history, cover, start=start, end=end)
        devices.append(DeviceFigures(history.device_id, history.name, figures))
        summed.observed += figures.observed
        summed.up += figures.up
        # Named here, as devices with the same history share one Figures.
        summed.outages.extend(
            replace(o, device_id=history.device_id, device_name=history.name)
            for o in figures.outages
        )
        windows.extend(figures.maintenance)
    summed.outages.sort(key=lambda o: o.start)
    summed.maintenance = merge(windows)
    return OrganizationFigures(figures=summed, devices=devices)


def seconds_by_bucket(
    span_lists: Iterable[Sequence[Span]], edges: Sequence[datetime]
) -> list[float]:
    """The seconds of all spans that fall into each bucket [edges[i], edges[i + 1])."""
    seconds = [0.0] * (len(edges) - 1)
    for spans in span_lists:
        for span in spans:
            i = max(bisect_right(edges, span.start) - 1, 0)
            while i < len(seconds) and edges[i] < span.end:
                lo, hi = max(span.start, edges[i]), min(span.end, edges[i + 1])
                if hi > lo:
                    seconds[i] += (hi - lo).total_seconds()
                i += 1
    return seconds
