"""The command line refuses occurrences that would overlap as the form does, through the
same check (maintenance_windows.services.problems)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from maintenance_windows.models import MaintenanceWindow
from tests.fixtures.users import ORG_A

pytestmark = pytest.mark.django_db

WEEKLY = ["create", "--organization", str(ORG_A), "--start", "2030-01-01T00:00", "--reason",
          "ring works", "--weekly", "mon,tue", "--at", "00:00"]  # fmt: skip


def test_weekly_monday_and_tuesday_for_a_week_is_refused_in_words(organizations):
    """Before, it was kept as "Every Monday and Tuesday at 00:00 UTC for 168 h"."""
    with pytest.raises(CommandError) as refused:
        call_command("maintenance_window", *WEEKLY, "--duration-minutes", "10080")

    assert str(refused.value) == (
        "--duration-minutes: Monday and Tuesday are 24 hours apart: a window of 168 h would "
        "overlap the next one. At most 24 h (1440 minutes)."
    )
    assert not MaintenanceWindow.objects.exists()


def test_weekly_monday_and_tuesday_for_a_day_is_kept(organizations):
    out = StringIO()
    call_command("maintenance_window", *WEEKLY, "--duration-minutes", "1440", stdout=out)

    assert out.getvalue().strip() == str(MaintenanceWindow.objects.get().pk)
