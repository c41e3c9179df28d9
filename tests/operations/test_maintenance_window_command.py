"""`manage.py maintenance_window create|list|end`: what it prints, what it keeps, what it
refuses in words (a CommandError: the command exits non-zero), and its audit entries."""

from datetime import UTC, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import AuditEntry
from maintenance_windows.models import MaintenanceWindow
from tests.fixtures.users import ORG_A, ORG_OTHER

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("maintenance_window", *args, stdout=out)
    return out.getvalue()


def iso(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat(timespec="minutes")


def test_create_prints_the_id_list_shows_it_in_force_and_end_ends_it(
    cached_fleet, device_of_org, organizations
):
    device = device_of_org(ORG_A)

    printed = run(
        "create",
        "--organization",
        str(ORG_A),
        "--device",
        str(device.id),
        "--start",
        iso(-1),
        "--end",
        iso(2),
        "--reason",
        "fibre cut repair",
    )

    window = MaintenanceWindow.objects.get()
    assert printed.strip() == str(window.pk)
    assert window.device_ids == [device.id] and window.owner_name == "(command line)"
    line = run("list").strip().split("\t")
    assert line[:3] == [str(window.pk), f"Test organization 5 (#{ORG_A})", "in force"]
    assert line[5:] == [f"device {device.id} of Test organization 5", "fibre cut repair"]

    assert run("end", str(window.pk)).strip() == f"Maintenance window {window.pk} ended."
    assert run("list").strip().split("\t")[2] == "ended"
    entries = AuditEntry.objects.filter(action__startswith="maintenance_window").order_by("id")
    assert [(e.action, e.username) for e in entries] == [
        ("maintenance_window_create", "(command line)"),
        ("maintenance_window_end", "(command line)"),
    ]
    with pytest.raises(CommandError, match="was already over"):
        run("end", str(window.pk))


def test_a_weekly_window_reads_its_times_in_its_time_zone(organizations, cache_settings):
    run(
        "create",
        "--organization",
        str(ORG_A),
        "--type",
        "3",
        "--start",
        "2030-01-01T00:00",
        "--reason",
        "OLT reboots",
        "--weekly",
        "mon,wed",
        "--at",
        "23:00",
        "--duration-minutes",
        "90",
        "--time-zone",
        "America/Bogota",
    )

    window = MaintenanceWindow.objects.get()
    assert (window.recurrence, window.weekdays, window.local_start) == ("weekly", [0, 2], time(23))
    assert window.starts_at == datetime(2030, 1, 1, 5, tzinfo=UTC)
    assert run("list").strip().split("\t")[2:4] == ["upcoming", "2030-01-03T04:00+00:00"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["--start", "2030-01-02T00:00", "--end", "2030-01-01T00:00"],
            "--end: The end must be after the start.",
        ),
        (["--start", "yesterday", "--end", "2030-01-01T00:00"], "is not an ISO-8601 date and time"),
        (
            ["--start", "2030-01-01T00:00", "--weekly", "mon", "--at", "02:00"],
            "--duration-minutes: The duration must be at least one minute.",
        ),
        (
            [
                "--start",
                "2030-01-01T00:00",
                "--daily",
                "--at",
                "02:00",
                "--duration-minutes",
                "60",
                "--time-zone",
                "Nowhere/City",
            ],
            "“Nowhere/City” is not a time zone",
        ),
        (
            ["--start", "2030-01-01T00:00", "--end", "2030-01-02T00:00", "--weekly", "funday"],
            "weekdays such as mon,wed",
        ),
    ],
)
def test_errors_are_said_in_words_and_nothing_is_kept(organizations, args, said):
    with pytest.raises(CommandError, match=said):
        run("create", "--organization", str(ORG_A), "--reason", "works", *args)
    assert not MaintenanceWindow.objects.exists()


def test_devices_of_another_organization_and_unknown_ones_are_refused(
    cached_fleet, device_of_org, organizations
):
    theirs = device_of_org(ORG_OTHER)
    with pytest.raises(
        CommandError, match=f"--device: Not a device of Test organization 5: {theirs.id}"
    ):
        run(
            "create",
            "--organization",
            str(ORG_A),
            "--device",
            str(theirs.id),
            "--start",
            iso(0),
            "--end",
            iso(1),
            "--reason",
            "works",
        )
    with pytest.raises(CommandError, match="No organization #424242 is known"):
        run(
            "create",
            "--organization",
            "424242",
            "--start",
            iso(0),
            "--end",
            iso(1),
            "--reason",
            "works",
        )
    with pytest.raises(CommandError, match="No maintenance window 99"):
        run("end", "99")
    assert not MaintenanceWindow.objects.exists()


def test_create_run_again_prints_the_window_it_kept_and_keeps_no_second(organizations):
    args = ("create", "--organization", str(ORG_A), "--start", iso(1), "--end", iso(2),
            "--reason", "ring works")  # fmt: skip
    first = run(*args)
    errors = StringIO()
    again = StringIO()
    call_command("maintenance_window", *args, stdout=again, stderr=errors)

    window = MaintenanceWindow.objects.get()
    assert first.strip() == again.getvalue().strip() == str(window.pk)
    assert f"Maintenance window {window.pk} keeps exactly this already" in errors.getvalue()
    assert AuditEntry.objects.filter(action="maintenance_window_create").count() == 1


def test_a_window_ended_before_it_started_is_listed_as_cancelled(organizations):
    window_id = run("create", "--organization", str(ORG_A), "--start", iso(3), "--end", iso(4),
                    "--reason", "later works").strip()  # fmt: skip
    run("end", window_id)

    (line,) = [f for f in run("list").splitlines() if f.startswith(f"{window_id}\t")]
    assert line.split("\t")[2:5] == [
        "ended",
        MaintenanceWindow.objects.get().starts_at.isoformat(timespec="minutes"),
        "cancelled",
    ]


def test_end_of_a_window_not_begun_says_and_audits_a_cancel(organizations, client_of, noc):
    window_id = run("create", "--organization", str(ORG_A), "--start", iso(3), "--end", iso(4),
                    "--reason", "later works").strip()  # fmt: skip

    said = run("end", window_id).strip()

    assert said == f"Maintenance window {window_id} cancelled: it will not start."
    entries = AuditEntry.objects.filter(action__startswith="maintenance_window").order_by("id")
    assert [(e.action, e.username) for e in entries] == [
        ("maintenance_window_create", "(command line)"),
        ("maintenance_window_cancel", "(command line)"),
    ]
    content = client_of(noc).get("/audit/").content.decode()
    assert "Cancel a maintenance window" in content and "End a maintenance window" not in content


def test_end_refuses_a_record_window_in_words(organizations, cache_settings):
    window = MaintenanceWindow.objects.create(
        organization_id=ORG_A, device_ids=[42], record_device_id=42, reason="fan swap",
        source=MaintenanceWindow.Source.RECORD, starts_at=datetime.now(UTC),
    )  # fmt: skip

    with pytest.raises(CommandError, match="follows the maintenance record of device 42"):
        run("end", str(window.pk))

    window.refresh_from_db()
    assert window.ended_at is None
