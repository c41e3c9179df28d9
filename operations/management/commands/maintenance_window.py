"""python manage.py maintenance_window create|list|end: maintenance windows from the command
line, for automation. Every change is audit-logged as made by "(command line)".

  create --organization ID [--device ID]... [--type ID] [--pattern P] --start ISO-8601
         [--end ISO-8601] --reason TEXT [--daily | --weekly DAYS --at HH:MM
         --duration-minutes N] [--time-zone ZONE]        prints the new window's id
  list                                                   one line per window, tab-separated
  end ID                                                 ends it now (cancels one not begun)
"""

from __future__ import annotations

import zoneinfo
from argparse import ArgumentTypeError
from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand, CommandError

from accounts import audit, tenancy
from accounts.models import Organization
from common import integers, moments
from maintenance_windows import services
from maintenance_windows.models import MaintenanceWindow
from operations import windows

DAY_WORDS = {name[:3].lower(): number for number, name in enumerate(services.WEEKDAY_NAMES)}
# The form's field names, as the command's options say them.
OPTION_NAMES = {
    "ends_at": "--end",
    "starts_at": "--start",
    "weekdays": "--weekly",
    "local_start": "--at",
    "duration_minutes": "--duration-minutes",
    "time_zone": "--time-zone",
    "device_ids": "--device",
    "pattern": "--pattern",
    "reason": "--reason",
}


def whole(option: str):
    def read(value: str) -> int:
        number = integers.int_or_none(value, minimum=1, maximum=integers.INT64_MAX)
        if number is None:
            # Not a CommandError: raised inside argparse, it reached the shell as a traceback.
            raise ArgumentTypeError(f"{option} must be a positive whole number, not {value!r}.")
        return number

    return read


def weekdays(value: str) -> tuple[int, ...]:
    """ "mon,wed" or "0,2" (0 = Monday)."""
    days = []
    for word in (w.strip().lower() for w in value.split(",") if w.strip()):
        if word[:3] in DAY_WORDS:
            days.append(DAY_WORDS[word[:3]])
        elif word.isdigit() and int(word) <= 6:
            days.append(int(word))
        else:
            raise ArgumentTypeError(
                f"--weekly takes weekdays such as mon,wed (or 0-6), not {word!r}."
            )
    return tuple(days)


def moment(option: str, value: str | None, zone: str) -> datetime | None:
    """An ISO-8601 date and time; without an offset it is read in `zone`."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            f"{option}: {value!r} is not an ISO-8601 date and time (e.g. 2026-12-24T22:00+01:00)."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(
            tzinfo=zoneinfo.ZoneInfo(zone) if services.zone_exists(zone) else UTC
        )
    try:
        return moments.check(parsed, as_typed=f"{option} {value}")
    except ValueError as error:
        raise CommandError(str(error)) from None


def clock(value: str | None) -> time | None:
    if value is None:
        return None
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(f"--at takes a time of day such as 23:00, not {value!r}.") from None


class Command(BaseCommand):
    help = "Create, list and end maintenance windows (the devices they cover notify nobody)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create a window and print its id")
        create.add_argument("--organization", required=True, type=whole("--organization"))
        create.add_argument(
            "--device",
            action="append",
            default=[],
            type=whole("--device"),
            help="a device id (repeat for several)",
        )
        create.add_argument("--type", type=whole("--type"), help="a device type id")
        create.add_argument("--pattern", default="", help="a name or serial pattern (CPE-*)")
        create.add_argument(
            "--start",
            required=True,
            help="ISO-8601; the first occurrence's earliest start when repeating",
        )
        create.add_argument(
            "--end", help="ISO-8601; required once, optional (until) when repeating"
        )
        create.add_argument("--reason", required=True)
        repeat = create.add_mutually_exclusive_group()
        repeat.add_argument("--daily", action="store_true")
        repeat.add_argument("--weekly", type=weekdays, metavar="DAYS", help="e.g. mon,wed")
        create.add_argument("--at", help="local start time of each occurrence, HH:MM")
        create.add_argument("--duration-minutes", type=whole("--duration-minutes"))
        create.add_argument("--time-zone", default="UTC", help="IANA name (default UTC)")
        actions.add_parser(
            "list", help="one line per window: id, organization, state, start, end, what, reason"
        )
        end = actions.add_parser("end", help="end a window now")
        end.add_argument("id", type=whole("the window id"))

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _create(
        self,
        *,
        organization,
        device,
        type,
        pattern,
        start,
        end,
        reason,
        daily,
        weekly,
        at,
        duration_minutes,
        time_zone,
        **_,
    ):
        if not Organization.objects.filter(upstream_id=organization).exists():
            raise CommandError(f"No organization #{organization} is known to the dashboard.")
        if device and (type or pattern):
            raise CommandError("--device names the devices: leave out --type and --pattern.")
        recurrence = "daily" if daily else "weekly" if weekly is not None else "once"
        spec = services.WindowSpec(
            organization_id=organization,
            reason=reason,
            starts_at=moment("--start", start, time_zone),
            ends_at=moment("--end", end, time_zone),
            recurrence=recurrence,
            weekdays=weekly or (),
            local_start=clock(at),
            duration_minutes=duration_minutes,
            time_zone=time_zone,
            type_id=type,
            pattern=pattern or "",
            device_ids=tuple(device),
        )
        try:
            window = windows.create(spec, now=datetime.now(UTC), actor=audit.COMMAND_LINE)
        except windows.Refused as refused:
            raise CommandError(_said(refused.problems)) from None
        except services.KeptAlready as kept:
            # The same command run again (a retried script) answers as the first did.
            window = kept.window
            self.stderr.write(f"{kept}: nothing new was kept.")
        self.stdout.write(str(window.pk))

    def _list(self, **_):
        groups = windows.listed(tenancy.EVERYTHING, now=datetime.now(UTC), user=None)
        for state in (services.IN_FORCE, services.UPCOMING, services.ENDED):
            for row in groups[state]:
                end = row["end"].isoformat(timespec="minutes") if row["end"] else "open"
                if row["cancelled"]:
                    end = "cancelled"
                fields = [
                    str(row["window"].pk),
                    f"{row['organization']} (#{row['window'].organization_id})",
                    state,
                    row["start"].isoformat(timespec="minutes"),
                    end,
                    row["covers"],
                    row["window"].reason,
                ]
                self.stdout.write(
                    "\t".join(f.replace("\t", " ").replace("\n", " ") for f in fields)
                )

    def _end(self, *, id, **_):
        window = MaintenanceWindow.objects.filter(pk=id).first()
        if window is None:
            raise CommandError(f"No maintenance window {id}.")
        now = datetime.now(UTC)
        try:
            ended = services.end_window(window, now=now, actor=audit.COMMAND_LINE)
        except services.FollowsRecord as refused:
            raise CommandError(f"{refused} Nothing was ended.") from refused
        if not ended:
            raise CommandError(f"Maintenance window {id} was already over: nothing to end.")
        # As the page says it (and the audit trail records it): a window not begun is cancelled.
        said = "cancelled: it will not start" if services.not_started(window, now) else "ended"
        self.stdout.write(f"Maintenance window {id} {said}.")


def _said(problems: dict[str, list[str]]) -> str:
    return " ".join(
        f"{OPTION_NAMES.get(name, name)}: {text}"
        for name, texts in problems.items()
        for text in texts
    )
