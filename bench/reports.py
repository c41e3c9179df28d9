"""Benchmark: the uptime report of one organization (reports.uptime.build, what the report
page and its CSV wait for) against how much status history the database holds.

A report needs every device's last status change before its range, however long ago: with
a year of history that read grows with the history, not with the range.

Set-up: the simulator (in this process) and one full poll of --devices into a read model
of the run's own, then, in the PostgreSQL database --database-url names (it must exist and
be empty), status changes for every device of the fleet: --changes per device, alternately
Down and Up, spread evenly over the last --days days, and the fleet's Up/Down points of a
poll every 5 minutes over the report's month (what a month of polls leaves).

Prints, for the organization with the most devices: `reports_history_rows` (all status
changes), `reports_org_devices`, and the medians of 3 runs of: `reports_last_before_ms`
(the last change before the range per device), `reports_month_changes_ms` (that and the
month's changes: the report's status history), `reports_org_devices_from_cache_ms` (the
organization's devices from the fleet cache), `reports_month_ms` (the whole report of the
last whole month, those reads included), `reports_day_ms` (the same for the month's last
day, when most devices change nothing); and the month's report prepared by a worker
(reports.prepared): `reports_prepared_build_ms` (the task's work: build, compress, keep),
`reports_prepared_kept_kb` (its size in the database), `reports_prepared_show_ms` (what the
page waits for to read it back, median of 3).

    psql -h 127.0.0.1 -U postgres -c "create database bench_reports"
    .venv/bin/python bench/reports.py --database-url postgres://postgres@127.0.0.1:5432/bench_reports
        [--devices 100000] [--changes 50] [--days 400]
"""

import io
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from fleet_cache_setup import (
    api_factory,
    fresh_model,
    in_process_django,
    median_ms,
    option,
    report,
    simulator,
)

from fleet.polling import PollConfig, poll_fleet


def fill_history(devices, changes: int, days: int, now: datetime) -> None:
    """`changes` status changes per device over `days` days, in one COPY of the devices
    and one INSERT ... SELECT (Python would take longer than the report)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_devices (device_id bigint, organization_id int)")
        rows = io.StringIO("".join(f"{d.id}\t{d.organization_id}\n" for d in devices))
        with cursor.connection.cursor().copy("COPY bench_devices FROM STDIN") as copy:
            copy.write(rows.getvalue())
        step = days * 86400 / changes
        cursor.execute(
            """
            INSERT INTO devices_statuschange
                (device_id, organization_id, from_status, to_status, at, seen_by, poll_at)
            SELECT d.device_id, d.organization_id,
                   CASE WHEN k %% 2 = 0 THEN 'Up' ELSE 'Down' END,
                   CASE WHEN k %% 2 = 0 THEN 'Down' ELSE 'Up' END,
                   t.at, 'full', t.at
            FROM bench_devices d, generate_series(0, %s - 1) k,
                 LATERAL (SELECT %s - make_interval(secs => (k * %s + d.device_id %% 3600)))
                     AS t(at)
            """,
            [changes, now, step],
        )
        cursor.execute("ANALYZE devices_statuschange")


def fill_poll_points(start: datetime, end: datetime) -> None:
    from devices.history_models import CountPoint

    at, points = start, []
    while at < end:
        points.append(CountPoint(organization_id=None, at=at, up=1, down=0, seen_by="full"))
        at += timedelta(minutes=5)
    CountPoint.objects.bulk_create(points, batch_size=5000)


def main(argv: list[str]) -> None:
    size = int(option(argv, "--devices", "100000"))
    changes = int(option(argv, "--changes", "50"))
    days = int(option(argv, "--days", "400"))
    database = option(argv, "--database-url", "")
    if not database.startswith("postgres"):
        sys.exit("--database-url must name an empty PostgreSQL database")
    with simulator(size) as sim, fresh_model() as model:
        poll_fleet(model=model, api_factory=api_factory(sim), config=PollConfig(), mode="full")
        in_process_django(model, sim.api_url, database)
        from devices.history_models import StatusChange
        from reports import periods, sources, uptime

        fleet = list(model.get_devices(range(1, size + 10_000)).values())
        now = datetime.now(UTC)
        fill_history(fleet, changes, days, now)
        first_of_month = date(now.year, now.month, 1)
        last_month = periods.period_of(periods.MONTH, first_of_month - timedelta(days=1),
                                       None, UTC)  # fmt: skip
        fill_poll_points(last_month.start - timedelta(hours=1), last_month.end + timedelta(hours=1))
        organization, devices = Counter(d.organization_id for d in fleet).most_common(1)[0]
        report("reports_history_rows", StatusChange.objects.count(), "rows")
        report("reports_org_devices", devices, "devices")

        def last_before():
            sources.status_changes(start=last_month.start, end=last_month.start,
                                   organization_id=organization)  # fmt: skip

        report("reports_last_before_ms", median_ms(last_before, 3), "ms")

        def month_changes():
            sources.status_changes(start=last_month.start, end=last_month.end,
                                   organization_id=organization)  # fmt: skip

        report("reports_month_changes_ms", median_ms(month_changes, 3), "ms")
        members = median_ms(lambda: sources.cached_devices(organization_id=organization), 3)
        report("reports_org_devices_from_cache_ms", members, "ms")
        month = median_ms(lambda: uptime.build(period=last_month, organization_id=organization), 3)
        report("reports_month_ms", month, "ms")
        day = periods.period_of(periods.DAY, last_month.last_day, None, UTC)
        one_day = median_ms(lambda: uptime.build(period=day, organization_id=organization), 3)
        report("reports_day_ms", one_day, "ms")

        # The month's report as a worker prepares it for a large organization, and what
        # the page then waits for to show it (reports.prepared).
        from reports import prepared
        from reports.models import PreparedReport

        asked = PreparedReport.objects.create(
            organization_id=organization, period=last_month.kind, zone="UTC",
            first_day=last_month.first_day, last_day=last_month.last_day,
        )  # fmt: skip
        report("reports_prepared_build_ms", median_ms(lambda: prepared.build(asked.pk), 1), "ms")
        kept = PreparedReport.objects.values_list("report", flat=True).get(pk=asked.pk)
        report("reports_prepared_kept_kb", len(kept) // 1024, "KiB")
        report("reports_prepared_show_ms", median_ms(lambda: prepared.report_of(asked), 3), "ms")


if __name__ == "__main__":
    main(sys.argv[1:])
