"""Bulk onboarding as a user walks it: the rows to fix upload again, a file over the row limit
is refused whole, refused files read as refused in the recent imports, and a row is reported
at the line where it starts. Through the pages, against the simulator."""

import csv
import io
import re

import pytest

from operations import onboarding
from operations.models import ImportJob
from tests.operations.test_import_job import (
    GOOD_FILE,
    last_job,
    posts,
    rows_csv,
    upload,
    upstream_serials,
)

# Real transactions: "Create N devices" queues the task on commit (transaction.on_commit).
pytestmark = pytest.mark.django_db(transaction=True)


def page_of(client, response):
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    return page.content.decode()


def words_of(page):
    """The page's text as a user reads it (tags and their attributes left out)."""
    return re.sub(r"<[^>]*>", " ", page)


def rows_to_fix(client, job):
    response = client.get(f"/devices/import/{job.pk}/to-fix.csv")
    return response.content


def test_the_rows_to_fix_upload_again_unchanged_and_once_fixed(
    cached_fleet, noc, client_of, celery_eager, simulator
):
    client = client_of(noc)
    upload(client, GOOD_FILE)
    client.post(f"/devices/import/{last_job().pk}/start/")
    to_fix = rows_to_fix(client, last_job())

    page = page_of(client, upload(client, to_fix, name="import-to-fix.csv"))

    assert "Unknown column" not in page and "Nothing to create" not in page
    assert "The &#x27;error&#x27; column (why each row had to be fixed" in page
    assert "3 rows, 1 valid, 2 with problems." in page
    assert "Create 1 device" in page

    rows = list(csv.DictReader(io.StringIO(to_fix.decode())))
    fixes = {"imp-c": {"type": "12"}, "imp-d": {"serial_number": "IMP-D-1"},
             "imp-e": {"latitude": ""}}  # fmt: skip
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({**row, **fixes[row["name"]]} for row in rows)

    page = page_of(client, upload(client, out.getvalue().encode(), name="fixed.csv"))

    assert "3 rows, 3 valid, 0 with problems." in page and "Create 3 devices" in page
    cached_fleet.clear_log()
    client.post(f"/devices/import/{last_job().pk}/start/")
    assert last_job().state == ImportJob.State.DONE and posts(cached_fleet) == 3
    assert {"IMP-C-1", "IMP-D-1", "IMP-E-1"} <= set(upstream_serials(simulator))


def test_a_file_over_the_row_limit_is_refused_whole(cached_fleet, noc, client_of):
    client = client_of(noc)
    data = rows_csv(*(f"imp-{n},IMP-{n},12,5,,pw,x" for n in range(6000)))

    page = page_of(client, upload(client, data, name="big.csv"))

    assert page.count("data-problem") == 1
    assert "6,000 rows: at most 5,000 per file, split it into several files." in page
    assert "valid" not in words_of(page).lower() and "Nothing to create" not in page
    assert "More than" not in page and "Create " not in page
    assert not last_job().rows.exists()


def test_a_file_at_the_row_limit_is_checked(noc):
    data = rows_csv(*(f"imp-{n},IMP-{n},12,5,,pw,x" for n in range(onboarding.MAX_ROWS)))
    result = onboarding.check_file(data, user=noc, fleet_serials=lambda serials: {})
    assert result.problems == [] and len(result.valid_rows) == onboarding.MAX_ROWS


def test_recent_imports_say_which_files_were_refused(cached_fleet, noc, client_of):
    client = client_of(noc)
    upload(client, b"", name="empty.csv")
    upload(client, "name,serial_number\nZürich,Z1\n".encode("latin-1"), name="latin1.csv")
    upload(client, rows_csv(*(f"i-{n},I-{n},12,5,,p,x" for n in range(5001))), name="big.csv")
    upload(client, GOOD_FILE, name="good.csv")

    response = client.get("/devices/import/")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("Checked, nothing sent yet") == 1  # good.csv only
    assert "Refused, nothing sent: The file is empty" in page
    assert "Refused, nothing sent: The file is not UTF-8 text" in page
    assert "Refused, nothing sent: 5,001 rows: at most 5,000 per file" in page


def test_a_row_with_a_line_break_in_a_cell_is_reported_at_the_line_it_starts(
    cached_fleet, noc, client_of
):
    client = client_of(noc)
    data = rows_csv(
        "imp-a,IMP-A-1,12,5,,pw,first",
        "imp-b,IMP-B-1,12,5,,pw,second",
        'imp-c,IMP-X,12,5,,pw,"two',
        'lines"',
        "imp-d,IMP-X,12,5,,pw,same serial",
    )

    page = page_of(client, upload(client, data))

    assert 'data-line="4"' in page and 'data-line="5"' not in page
    assert "serial_number: IMP-X is also on line 4." in page
    assert "serial_number: IMP-X is also on line 6." in page
