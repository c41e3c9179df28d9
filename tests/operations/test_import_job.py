"""Bulk onboarding end to end against the simulator: the dry run sends nothing, the job sends
one POST per valid row, a retried or crashed job creates nothing twice, rows to fix as CSV,
and only the uploader (inside their organizations) sees a job.

Celery runs eagerly here (the `celery_eager` fixture, as the other tests that press a
button): "Create N devices" runs the task inside the request, so the test sees every row
finished without a broker round trip. The retry tests call the task function again, as a
redelivered message would.
"""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEntry, Membership
from controlapi import ControlAPI
from operations import imports
from operations.models import ImportJob, ImportRow
from operations.tasks import run_import_job
from tests.fixtures.simulator import ALL_TOKEN

# Real transactions: "Create N devices" queues the task on commit (transaction.on_commit).
pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "name,serial_number,type,organization_id,latitude,password,description"
POST_PATH = "POST /api/v1/inventory_device/"


def rows_csv(*lines):
    return "\n".join([HEADER, *lines]).encode()


GOOD_FILE = rows_csv(
    "imp-a,IMP-A-1,12,5,,pw-a,first",
    "imp-b,IMP-B-1,12,5,,pw-b,second",
    "imp-c,IMP-C-1,99999,5,,pw-c,unknown type: refused upstream",
    "imp-d,,12,5,,pw-d,no serial: invalid",
    "imp-e,IMP-E-1,12,5,95,pw-e,latitude out of range: invalid",
)


def upload(client, data, name="devices.csv"):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post("/devices/import/", {"file": upload})


def last_job():
    return ImportJob.objects.latest("pk")


def posts(sim):
    return sim.request_log(last=0)["counts"].get(POST_PATH, 0)


def upstream_serials(simulator, org_id=5):
    with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
        return [d.serial_number for d in api.iter_devices(organization=org_id)]


def test_the_dry_run_sends_nothing(cached_fleet, noc, client_of):
    cached_fleet.clear_log()
    response = upload(client_of(noc), GOOD_FILE)
    job = last_job()
    assert response.status_code == 302 and response["Location"] == f"/devices/import/{job.pk}/"
    assert posts(cached_fleet) == 0
    states = list(job.rows.values_list("state", flat=True))
    assert states == ["pending", "pending", "pending", "invalid", "invalid"]


def test_the_report_lists_every_row_with_its_problems(cached_fleet, noc, client_of):
    client = client_of(noc)
    upload(client, GOOD_FILE)
    page = client.get(f"/devices/import/{last_job().pk}/").content.decode()
    assert "Create 3 devices" in page
    assert "serial_number: required." in page
    assert "latitude: must be between -90 and 90, not 95." in page
    assert "pw-a" not in page


def test_the_job_sends_one_post_per_valid_row(cached_fleet, noc, client_of, celery_eager,
                                              simulator):  # fmt: skip
    client = client_of(noc)
    upload(client, GOOD_FILE)
    job = last_job()
    cached_fleet.clear_log()
    client.post(f"/devices/import/{job.pk}/start/")
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert posts(cached_fleet) == 3
    by_line = {r.line: r for r in job.rows.all()}
    assert [by_line[n].state for n in (2, 3, 4)] == ["created", "created", "failed"]
    assert by_line[4].errors == ["type: No device type 99999 is known to the control API."]
    assert {"IMP-A-1", "IMP-B-1"} <= set(upstream_serials(simulator))


def test_a_second_start_sends_nothing_more(cached_fleet, noc, client_of, celery_eager):
    client = client_of(noc)
    upload(client, GOOD_FILE)
    job = last_job()
    client.post(f"/devices/import/{job.pk}/start/")
    cached_fleet.clear_log()
    client.post(f"/devices/import/{job.pk}/start/")
    run_import_job(job.pk)  # a redelivered task message
    assert posts(cached_fleet) == 0


def test_passwords_are_dropped_once_rows_are_sent(cached_fleet, noc, client_of, celery_eager):
    client = client_of(noc)
    upload(client, GOOD_FILE)
    job = last_job()
    assert set(job.rows.filter(state="pending").values_list("password", flat=True)) == {
        "pw-a", "pw-b", "pw-c"
    }  # fmt: skip
    assert set(job.rows.filter(state="invalid").values_list("password", flat=True)) == {""}
    client.post(f"/devices/import/{job.pk}/start/")
    assert set(job.rows.values_list("password", flat=True)) == {""}


def test_each_created_device_is_audited_without_its_password(
    cached_fleet, noc, client_of, celery_eager
):
    client = client_of(noc)
    upload(client, GOOD_FILE)
    client.post(f"/devices/import/{last_job().pk}/start/")
    created = AuditEntry.objects.filter(action="device_create", result="ok")
    assert sorted(e.parameters["serial_number"] for e in created) == ["IMP-A-1", "IMP-B-1"]
    assert all(e.parameters.get("password") in (None, "[redacted]") for e in created)
    assert all(e.organization_id == 5 and e.device_id for e in created)
    assert not AuditEntry.objects.filter(parameters__icontains="pw-a").exists()
    assert AuditEntry.objects.filter(action="device_import").count() == 1


def crash_after_send(job, simulator, line):
    """What a worker killed right after its POST leaves: the device exists upstream, the row
    says "sending", and the claim is older than any live send."""
    row = job.rows.get(line=line)
    body = {**row.fields, "password": row.password}
    with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
        device = api.create_device(body)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING)
    old = timezone.now() - timedelta(seconds=imports.IN_FLIGHT_SECONDS + 5)
    ImportRow.objects.filter(pk=row.pk).update(state="sending", updated_at=old)
    return device


def test_a_row_left_sending_with_its_device_created_is_not_sent_again(
    cached_fleet, noc, client_of, simulator
):
    upload(client_of(noc), GOOD_FILE)
    job = last_job()
    device = crash_after_send(job, simulator, line=2)
    cached_fleet.clear_log()
    run_import_job(job.pk)  # the redelivered message
    row = job.rows.get(line=2)
    assert row.state == "created" and row.device_id == device.id and row.password == ""
    assert posts(cached_fleet) == 2  # lines 3 and 4 only
    assert upstream_serials(simulator).count("IMP-A-1") == 1
    found = AuditEntry.objects.get(action="device_create", device_id=device.id)
    assert found.parameters["found_by_serial"] == "IMP-A-1"


def test_a_row_left_sending_that_never_arrived_is_sent_once(
    cached_fleet, noc, client_of, simulator
):
    upload(client_of(noc), GOOD_FILE)
    job = last_job()
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING)
    old = timezone.now() - timedelta(seconds=imports.IN_FLIGHT_SECONDS + 5)
    job.rows.filter(line=2).update(state="sending", updated_at=old)
    cached_fleet.clear_log()
    run_import_job(job.pk)
    run_import_job(job.pk)
    assert job.rows.get(line=2).state == "created"
    assert posts(cached_fleet) == 3
    assert upstream_serials(simulator).count("IMP-A-1") == 1


def test_a_row_claimed_moments_ago_is_left_to_its_worker(cached_fleet, noc, client_of):
    upload(client_of(noc), GOOD_FILE)
    job = last_job()
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING)
    job.rows.filter(line=2).update(state="sending", updated_at=timezone.now())
    cached_fleet.clear_log()
    run_import_job(job.pk)
    job.refresh_from_db()
    assert job.rows.get(line=2).state == "sending"
    assert job.state == ImportJob.State.RUNNING  # not done while a row may be in flight
    assert posts(cached_fleet) == 2


def test_a_timeout_after_sending_is_checked_by_serial_and_never_resent(
    cached_fleet, noc, client_of, celery_eager, settings, simulator
):
    # The simulator holds the next POST past the action read timeout and never creates the
    # device: the client gives up after sending (outcome unknown), the serial look-up finds
    # nothing, and the row stays unknown, in words, instead of being sent again.
    settings.ACTION_READ_TIMEOUT = 0.5
    upload(client_of(noc), rows_csv("imp-a,IMP-A-1,12,5,,pw,x"))
    job = last_job()
    cached_fleet.clear_log()
    cached_fleet.set_faults(next_hangs=1, hang_seconds=2.0, method="POST")
    client_of(noc).post(f"/devices/import/{job.pk}/start/")
    row = job.rows.get(line=2)
    assert row.state == "unknown" and row.errors == [imports.NOT_FOUND_AFTER_TIMEOUT]
    assert row.password == ""
    assert posts(cached_fleet) <= 1  # the hung one is logged only once it answers
    assert "IMP-A-1" not in upstream_serials(simulator)
    assert AuditEntry.objects.get(action="device_create").result == "unknown"


def test_rows_to_fix_csv_has_original_columns_an_error_and_no_password(
    cached_fleet, noc, client_of, celery_eager
):
    client = client_of(noc)
    upload(client, GOOD_FILE)
    job = last_job()
    client.post(f"/devices/import/{job.pk}/start/")
    response = client.get(f"/devices/import/{job.pk}/to-fix.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == [*HEADER.split(","), "error"]
    assert [r["name"] for r in rows] == ["imp-c", "imp-d", "imp-e"]
    assert rows[0]["error"] == "type: No device type 99999 is known to the control API."
    assert rows[1]["error"] == "serial_number: required."
    assert rows[2]["latitude"] == "95" and rows[2]["description"].startswith("latitude out")
    assert {r["password"] for r in rows} == {""}


def test_the_template_downloads_with_the_header(noc, client_of):
    response = client_of(noc).get("/devices/import/template.csv")
    assert response.content.decode().splitlines()[0].startswith("name,serial_number,")
    assert "attachment" in response["Content-Disposition"]


def test_progress_partial_stops_polling_when_done(cached_fleet, noc, client_of, celery_eager):
    client = client_of(noc)
    upload(client, GOOD_FILE)
    job = last_job()
    client.post(f"/devices/import/{job.pk}/start/")
    response = client.get(f"/devices/import/{job.pk}/", headers={"HX-Request": "true"})
    assert response.status_code == 286
    body = response.content.decode()
    assert 'id="import-progress"' in body and "<html" not in body
    assert 'data-count="created">2<' in body and 'data-count="failed">1<' in body


def test_progress_partial_keeps_polling_while_running(cached_fleet, noc, client_of):
    client = client_of(noc)
    upload(client, GOOD_FILE)
    job = last_job()
    imports.start_job(job=job, user=noc, enqueue=None)
    response = client.get(f"/devices/import/{job.pk}/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "hx-trigger" in response.content.decode()


# --- tenancy ---------------------------------------------------------------------------


def test_a_tenant_admin_may_only_create_in_their_organization(
    cached_fleet, tenant_admin, client_of, celery_eager
):
    client = client_of(tenant_admin)
    upload(client, rows_csv("imp-a,IMP-A-1,12,5,,pw,x", "imp-x,IMP-X-1,12,11,,pw,y"))
    job = last_job()
    assert job.rows.get(line=3).state == "invalid"
    cached_fleet.clear_log()
    client.post(f"/devices/import/{job.pk}/start/")
    assert posts(cached_fleet) == 1
    assert job.rows.get(line=2).state == "created"


def test_a_membership_removed_before_sending_fails_the_row_unsent(
    cached_fleet, tenant_admin, client_of
):
    upload(client_of(tenant_admin), rows_csv("imp-a,IMP-A-1,12,5,,pw,x"))
    job = last_job()
    imports.start_job(job=job, user=tenant_admin, enqueue=None)
    Membership.objects.filter(user=tenant_admin).delete()
    cached_fleet.clear_log()
    run_import_job(job.pk)
    row = job.rows.get(line=2)
    assert row.state == "failed" and "no longer create devices in organization 5" in row.errors[0]
    assert posts(cached_fleet) == 0


@pytest.mark.parametrize("path", ["", "to-fix.csv"])
def test_another_users_job_is_404(cached_fleet, noc, outsider, client_of, path):
    upload(client_of(noc), GOOD_FILE)
    job = last_job()
    assert client_of(outsider).get(f"/devices/import/{job.pk}/{path}").status_code == 404


def test_another_users_job_cannot_be_started(cached_fleet, noc, outsider, client_of):
    upload(client_of(noc), GOOD_FILE)
    job = last_job()
    cached_fleet.clear_log()
    assert client_of(outsider).post(f"/devices/import/{job.pk}/start/").status_code == 404
    job.refresh_from_db()
    assert job.state == ImportJob.State.VALIDATED and posts(cached_fleet) == 0


@pytest.mark.parametrize("path", ["/devices/import/", "/devices/import/template.csv"])
def test_the_import_page_is_404_without_the_right_to_create(operator, client_of, path):
    assert client_of(operator).get(path).status_code == 404


def test_the_import_page_needs_a_login(client):
    response = client.get("/devices/import/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_upload_without_a_file_says_so(noc, client_of):
    response = client_of(noc).post("/devices/import/", {})
    assert response.status_code == 400
    assert "Choose a CSV file to upload." in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [rows_csv("imp-a,IMP-A\x00-1,12,5,,pw-a,first"), b"name\x00,serial_number\nimp-a,IMP-A-1\n"],
    ids=["in a cell", "in the header"],
)
def test_a_file_holding_a_nul_character_is_refused_in_words(cached_fleet, noc, client_of, data):
    client = client_of(noc)
    cached_fleet.clear_log()

    response = upload(client, data)

    page = client.get(response["Location"]).content.decode()
    assert "holds a NUL character" in page
    assert not imports.can_start(last_job())
    assert posts(cached_fleet) == 0


@pytest.mark.parametrize(
    ("data", "missing"),
    [
        (b"foo,bar\n1,2\n", "name, serial_number, type, organization_id"),
        (b"name,serial_number,organization_id\nimp-a,IMP-A-1,5\n", "type"),
    ],
    ids=["no known column", "no type column"],
)
def test_a_file_without_a_required_column_has_no_valid_row(
    cached_fleet, noc, client_of, celery_eager, data, missing
):
    client = client_of(noc)
    cached_fleet.clear_log()

    page = client.get(upload(client, data)["Location"]).content.decode()

    assert f"Missing required column(s): {missing}." in page
    assert "1 row; the file is refused as a whole" in page
    assert "Invalid: not sent" in page and ">Valid<" not in page
    assert "type: required; the file has no type column." in page
    assert "Create 1 device" not in page
    client.post(f"/devices/import/{last_job().pk}/start/")
    assert last_job().state == ImportJob.State.VALIDATED
    assert posts(cached_fleet) == 0


def test_a_semicolon_separated_file_is_refused_in_words(cached_fleet, noc, client_of):
    client = client_of(noc)
    data = b"name;serial_number;type;organization_id\nimp-a;IMP-A-1;12;5\n"

    page = client.get(upload(client, data)["Location"]).content.decode()

    assert "The columns are separated by semicolons: the file must be comma-separated." in page
    assert "no row could be read." in page and "Unknown column" not in page
    assert not imports.can_start(last_job()) and not last_job().rows.exists()


def test_a_file_refused_as_a_whole_does_not_call_its_rows_valid(
    cached_fleet, noc, client_of, celery_eager
):
    """A misspelt column refused the file beside "3 rows, 3 valid, 0 with problems"."""
    client = client_of(noc)
    data = (
        b"name,serial_number,type,organization_id,colour\n"
        b"imp-a,IMP-A-1,12,5,red\nimp-b,IMP-B-1,12,5,blue\n"
    )

    page = client.get(upload(client, data)["Location"]).content.decode()

    assert "Unknown column: &#x27;colour&#x27;" in page
    assert "2 rows; the file is refused as a whole" in page
    assert "valid" not in page.split("<h1>")[1].split("</p>")[0]
    assert ">Valid<" not in page and "Create 2 devices" not in page
