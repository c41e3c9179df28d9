"""The report's chart as coordinates for a server-drawn SVG (no script, no inline style):
one bar per bucket (its availability, 0 to 100 %), below them a strip marking the gaps
with no successful poll and the maintenance windows along the range, and under it the
buckets' times (every bar's up to MAX_TICKS, else every second, third, … one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reports.uptime import Report

WIDTH, BARS_HEIGHT, STRIP, PAD = 600, 140, 10, 2
MAX_TICKS = 8


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    kind: str  # css class: bar-full, bar-partial, bar-low, bar-none, gap, maintenance
    label: str


@dataclass(frozen=True)
class Tick:
    """A bucket's time under its bar; `percent` of the width (the axis is drawn apart from
    the stretched bars, so its text keeps its shape); `anchor`: SVG text-anchor."""

    percent: float
    label: str
    anchor: str


@dataclass(frozen=True)
class Chart:
    bars: list[Rect]
    marks: list[Rect]
    ticks: list[Tick]
    height: int = BARS_HEIGHT + STRIP + 2 * PAD
    width: int = WIDTH
    strip_y: int = BARS_HEIGHT + PAD


def _kind(share: float | None) -> str:
    if share is None:
        return "bar-none"
    if share >= 0.999:
        return "bar-full"
    return "bar-partial" if share >= 0.95 else "bar-low"


def bars(report: Report) -> Chart:
    start, end = report.period.start, report.period.end
    span = (end - start).total_seconds() or 1

    def x(moment: datetime) -> float:
        return round(PAD + (moment - start).total_seconds() / span * (WIDTH - 2 * PAD), 1)

    drawn = []
    for bar in report.bars:
        left, right = x(bar.start), x(bar.end)
        share = bar.availability
        height = BARS_HEIGHT * (share if share is not None else 0.03)
        label = "no data" if share is None else f"{share * 100:.3f} %"
        shown = bar.start.astimezone(report.period.zone)
        drawn.append(Rect(left + 0.5, round(PAD + BARS_HEIGHT - height, 1),
                          max(right - left - 1, 0.5), round(height, 1), _kind(share),
                          f"{shown:%b %d %H:%M}: {label}"))  # fmt: skip
    marks = [
        Rect(x(s.start), BARS_HEIGHT + PAD, max(x(s.end) - x(s.start), 1), STRIP, kind, words)
        for kind, words, spans in (
            ("gap", "no successful poll", report.gaps),
            ("maintenance", "maintenance", [w.span for w in report.windows]),
        )
        for s in spans
    ]
    return Chart(bars=drawn, marks=marks, ticks=_ticks(report, x))


def _ticks(report: Report, x) -> list[Tick]:
    """One label per bar, or per every n-th bar: hours for a day, else the bucket's day."""
    buckets = report.bars
    step = max(1, -(-len(buckets) // MAX_TICKS))
    shape = "%H:%M" if report.period.days == 1 else "%b %d"
    ticks = []
    for bar in buckets[::step]:
        percent = round((x(bar.start) + x(bar.end)) / 2 / WIDTH * 100, 1)
        anchor = "start" if percent < 4 else "end" if percent > 96 else "middle"
        label = f"{bar.start.astimezone(report.period.zone):{shape}}"
        ticks.append(Tick(percent, label, anchor))
    return ticks
