"""A report as CSV: the same numbers as the page (reports.formatting), one row for the
organization (or the device), one per device, one per gap and one per maintenance
occurrence, every cell defused against spreadsheet formulas."""

from __future__ import annotations

import csv
import io

from common.spreadsheet_cells import defused
from reports.availability import Figures
from reports.formatting import percent, whole_seconds
from reports.uptime import Report

HEADER = [
    "row", "organization_id", "device_id", "device_name", "start", "end", "time_zone",
    "observed_seconds", "up_seconds", "down_seconds", "availability_percent", "outages",
    "longest_outage_seconds", "mean_time_to_recovery_seconds", "note",
]  # fmt: skip


# The history keeps successful polls only: a gap cannot tell a stopped poller from failures.
GAP_NOTE = "no successful poll (the poller was not running or its polls failed): not observed"


def _figures(f: Figures) -> list:
    longest = f.longest
    return [
        whole_seconds(f.observed),
        whole_seconds(f.up),
        whole_seconds(f.down),
        percent(f.availability),
        len(f.outages),
        whole_seconds(longest.seconds) if longest else "",
        whole_seconds(f.mean_time_to_recovery),
        "",
    ]


def csv_rows(report: Report) -> list[list]:
    p, org = report.period, report.organization_id
    zone = str(p.zone)

    def iso(moment) -> str:
        return moment.astimezone(p.zone).isoformat()

    span = [iso(p.start), iso(p.end), zone]
    starts = iso(report.history_starts) if report.history_starts else "none yet"
    rows = [HEADER]
    if report.device_id is None:
        rows.append(["organization", org, "", "", *span, *_figures(report.figures)])
        rows[-1][-1] = f"history kept since {starts}"
        for d in report.devices:
            rows.append(["device", org, d.device_id, d.name, *span, *_figures(d.figures)])
    else:
        rows.append(
            ["device", org, report.device_id, report.device_name, *span, *_figures(report.figures)]
        )
        rows[-1][-1] = f"history kept since {starts}"
    blank = [""] * 7
    for gap in report.gaps:
        rows.append(["gap", org, "", "", iso(gap.start), iso(gap.end), zone, *blank,
                     GAP_NOTE])  # fmt: skip
    for window in report.windows:
        rows.append(["maintenance", org, "", "", iso(window.span.start),
                     iso(window.span.end), zone, *blank,
                     f"{window.reason} ({window.devices} device(s))"])  # fmt: skip
    return rows


def csv_text(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in csv_rows(report):
        writer.writerow(["" if v is None else defused(str(v)) for v in row])
    return out.getvalue()
