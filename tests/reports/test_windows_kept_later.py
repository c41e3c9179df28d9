"""A window kept after its start (or its "from") does not rewrite what was observed before
it existed: the reports count it only from when it was kept. Before, a daily window made
at 10:10 "from" days earlier erased the device's real 10:05 outage ("Availability no
data", "Outages 0") and was listed as left out on the days before it existed."""

from datetime import time, timedelta

from maintenance_windows.models import MaintenanceWindow
from tests.fixtures.users import ORG_A
from tests.reports.conftest import DAY, DEVICE, query


def daily_kept_at_ten_past_ten(ten):
    """Every day 05:00–06:00 in Bogotá (10:00–11:00 UTC) for the device, "from" three days
    before, kept at 10:10, after the device's outage (10:05–10:07:30)."""
    return MaintenanceWindow.objects.create(
        organization_id=ORG_A,
        device_ids=[DEVICE],
        reason="nightly fibre works",
        recurrence=MaintenanceWindow.Recurrence.DAILY,
        starts_at=DAY - timedelta(days=3),
        local_start=time(5),
        duration_minutes=60,
        time_zone="America/Bogota",
        created_at=ten + timedelta(minutes=10),
    )


def test_a_window_kept_after_an_outage_leaves_the_outage_in_the_report(
    client_of, tenant_admin, history
):
    daily_kept_at_ten_past_ten(history)

    page = client_of(tenant_admin).get("/reports/", query(device=DEVICE)).content.decode()

    # Observed 10:00–10:10 (from 10:10 the window leaves the rest out); Down 2 min 30 s.
    assert '<dd class="outages">1</dd>' in page
    assert '<dd class="availability">75.000 %</dd>' in page
    assert "Mar 2, 2026 10:10:00 – Mar 2, 2026 11:00:00" in page  # left out from 10:10 only
    assert "Mar 2, 2026 10:00:00 – Mar 2, 2026 11:00:00" not in page


def test_a_custom_range_lists_the_window_only_from_when_it_was_kept(
    client_of, tenant_admin, history
):
    daily_kept_at_ten_past_ten(history)

    page = (
        client_of(tenant_admin)
        .get("/reports/", query(period="custom", day="2026-02-27", until="2026-03-02"))
        .content.decode()
    )

    left_out = page[page.index('id="windows-title"') :]
    left_out = left_out[: left_out.index("</section>")]
    assert "nightly fibre works" in left_out
    for day in ("Feb 27", "Feb 28", "Mar 1"):  # before the window existed
        assert f"{day}, 2026" not in left_out
    assert "Mar 2, 2026 10:10:00 – Mar 2, 2026 11:00:00" in left_out
