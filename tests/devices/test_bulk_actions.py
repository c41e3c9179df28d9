"""Bulk actions: the plan, the job, exactly one action per device, roles and cancel."""

import re

import pytest

from accounts.models import AuditEntry
from devices import bulk, form_keys
from devices.models import BulkItem, BulkJob
from fleet import polling
from tests.fixtures.users import ORG_A, ORG_B


@pytest.fixture
def polled(model, api_factory, poll_config, still_fleet, cache_settings, settings):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    return still_fleet


def patches(control) -> list[str]:
    return [e["path"] for e in control.request_log(last=1000)["entries"] if e["method"] == "PATCH"]


def org_devices(all_devices, org, n):
    return [d for d in all_devices() if d.organization_id == org][:n]


def start(client, data):
    """Start a job as its confirmation page does: under a one-time key of its own."""
    response = client.post("/devices/bulk/start/", {"start_key": form_keys.new_key(), **data})
    assert response.status_code == 302, response.content
    return BulkJob.objects.latest("created_at")


def test_the_confirmation_says_how_many_devices_in_which_organizations(
    client_of, noc, polled, all_devices
):
    chosen = org_devices(all_devices, ORG_A, 2) + org_devices(all_devices, ORG_B, 3)

    response = client_of(noc).post(
        "/devices/bulk/", {"action": "reboot", "devices": ",".join(str(d.id) for d in chosen)}
    )

    content = response.content.decode()
    assert 'id="bulk-total">5<' in content
    assert "Test organization 5: <strong>2</strong>" in content
    assert "Test organization 7: <strong>3</strong>" in content
    assert patches(polled) == []  # nothing sent before the confirmation


def test_a_bulk_reboot_sends_exactly_one_reboot_per_selected_device(
    client_of, operator, polled, all_devices
):
    chosen = org_devices(all_devices, ORG_A, 4)
    polled.clear_log()
    job = start(client_of(operator), {"action": "reboot",
                                      "devices": ",".join(str(d.id) for d in chosen)})  # fmt: skip

    bulk.run_job(job.pk)  # what the Celery worker runs
    bulk.run_job(job.pk)  # a retried task sends nothing again

    expected = sorted(f"/api/v1/inventory_device/{d.id}/" for d in chosen)
    assert sorted(patches(polled)) == expected
    assert bulk.progress(job) | {} == {"done": 4, "failed": 0, "skipped": 0, "remaining": 0,
                                       "finished": 4, "total": 4, "percent": 100}  # fmt: skip
    assert AuditEntry.objects.filter(action="reboot").count() == 4


def test_an_item_left_mid_send_by_a_dead_worker_is_not_sent_again(
    client_of, operator, polled, all_devices
):
    chosen = org_devices(all_devices, ORG_A, 2)
    job = start(client_of(operator), {"action": "sync",
                                      "devices": ",".join(str(d.id) for d in chosen)})  # fmt: skip
    bulk.run_job(job.pk)
    polled.clear_log()
    # The worker died after sending but before writing the result down.
    job.items.update(state=BulkItem.State.SENDING)
    BulkJob.objects.filter(pk=job.pk).update(state=BulkJob.State.RUNNING)

    bulk.run_job(job.pk)

    assert patches(polled) == []
    assert set(job.items.values_list("state", flat=True)) == {BulkItem.State.DONE}


def test_all_matching_takes_every_device_of_the_filter_in_the_users_organizations(
    client_of, operator, polled, all_devices
):
    expected = {d.id for d in all_devices() if d.organization_id == ORG_A and not d.is_up}

    job = start(client_of(operator), {"action": "reconf", "all_matching": "1",
                                      "filter": "status=down"})  # fmt: skip

    assert set(job.items.values_list("device_id", flat=True)) == expected


def test_devices_outside_the_role_are_left_out_and_counted(client_of, noc_viewer_and_op, polled,
                                                            all_devices):  # fmt: skip
    mine, theirs = org_devices(all_devices, ORG_A, 2), org_devices(all_devices, ORG_B, 2)
    ids = ",".join(str(d.id) for d in mine + theirs)

    response = client_of(noc_viewer_and_op).post(
        "/devices/bulk/", {"action": "reboot", "devices": ids}
    )

    assert 'id="bulk-total">2<' in response.content.decode()
    assert "2 more devices left out" in response.content.decode()


@pytest.fixture
def noc_viewer_and_op(organizations):
    from accounts.models import Role
    from tests.fixtures.users import make_user

    return make_user("mixed", memberships=[(ORG_A, Role.OPERATOR), (ORG_B, Role.VIEWER)])


def test_a_viewer_cannot_start_a_bulk_job(client_of, viewer, polled, all_devices):
    ids = ",".join(str(d.id) for d in org_devices(all_devices, ORG_A, 2))

    response = client_of(viewer).post("/devices/bulk/start/", {"action": "reboot", "devices": ids})

    assert response.status_code == 400
    assert not BulkJob.objects.exists()


def test_an_outsiders_selection_of_other_devices_is_empty(client_of, outsider, polled, all_devices):
    ids = ",".join(str(d.id) for d in org_devices(all_devices, ORG_A, 2))

    response = client_of(outsider).post(
        "/devices/bulk/start/", {"action": "reboot", "devices": ids}
    )

    assert response.status_code == 400 and not BulkJob.objects.exists()


def test_cancel_skips_what_was_not_sent(client_of, operator, polled, all_devices):
    chosen = org_devices(all_devices, ORG_A, 3)
    client = client_of(operator)
    job = start(client, {"action": "reboot", "devices": ",".join(str(d.id) for d in chosen)})
    polled.clear_log()

    client.post(f"/devices/bulk/{job.pk}/cancel/")

    job.refresh_from_db()
    assert job.state == BulkJob.State.CANCELLED
    assert bulk.progress(job)["skipped"] == 3 and patches(polled) == []


def test_the_job_page_shows_progress_and_stops_polling_when_done(
    client_of, operator, polled, all_devices
):
    chosen = org_devices(all_devices, ORG_A, 2)
    client = client_of(operator)
    job = start(client, {"action": "reboot", "devices": ",".join(str(d.id) for d in chosen)})
    queued = client.get(f"/devices/bulk/{job.pk}/", HTTP_HX_REQUEST="true")
    bulk.run_job(job.pk)

    finished = client.get(f"/devices/bulk/{job.pk}/", HTTP_HX_REQUEST="true")

    assert queued.status_code == 200 and 'data-count="remaining">2<' in queued.content.decode()
    assert finished.status_code == 286 and 'data-count="done">2<' in finished.content.decode()


def test_another_users_job_is_404(client_of, operator, outsider, polled, all_devices):
    chosen = org_devices(all_devices, ORG_A, 1)
    job = start(client_of(operator), {"action": "reboot", "devices": str(chosen[0].id)})

    assert client_of(outsider).get(f"/devices/bulk/{job.pk}/").status_code == 404


@pytest.fixture
def eager():
    """Tasks run in the test's process: the watchdog's queued job runs at once."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def _as_left_by_a_killed_worker(job, user, sent, mid_send, heartbeat_age):
    """The state a worker killed mid-job leaves: `sent` items sent and written down,
    `mid_send` claimed with its action record made (the request may have gone out),
    the job running with its last heartbeat `heartbeat_age` ago."""
    from django.utils import timezone

    from devices import device_actions
    from devices.models import ActionRecord

    for item in sent:
        key = bulk.item_key(item)
        record, _ = device_actions.device_action(
            device_id=item.device_id, user=user, action=job.action, idempotency_key=key
        )
        assert record.state == ActionRecord.State.SENT
        BulkItem.objects.filter(pk=item.pk).update(state=BulkItem.State.DONE)
    ActionRecord.objects.create(key=bulk.item_key(mid_send), user=user,
                                device_id=mid_send.device_id, action=job.action)  # fmt: skip
    BulkItem.objects.filter(pk=mid_send.pk).update(state=BulkItem.State.SENDING,
                                                   action_key=bulk.item_key(mid_send))  # fmt: skip
    BulkJob.objects.filter(pk=job.pk).update(
        state=BulkJob.State.RUNNING, heartbeat_at=timezone.now() - heartbeat_age
    )


def test_a_job_whose_worker_was_killed_is_resumed_and_sends_each_remaining_device_once(
    client_of, operator, polled, all_devices, eager
):
    from datetime import timedelta

    from devices.bulk_tasks import resume_stalled_bulk_jobs
    from devices.models import ActionRecord

    chosen = org_devices(all_devices, ORG_A, 8)
    job = start(client_of(operator), {"action": "reboot",
                                      "devices": ",".join(str(d.id) for d in chosen)})  # fmt: skip
    items = list(job.items.order_by("pk"))
    stale = timedelta(seconds=bulk.stall_seconds() + 1)
    _as_left_by_a_killed_worker(job, operator, sent=items[:3], mid_send=items[3],
                                heartbeat_age=stale)  # fmt: skip
    polled.clear_log()

    resume_stalled_bulk_jobs()  # what beat sends every 30 s

    remaining = sorted(f"/api/v1/inventory_device/{item.device_id}/" for item in items[4:])
    assert sorted(patches(polled)) == remaining  # each once; none of the first four again
    job.refresh_from_db()
    assert job.state == BulkJob.State.DONE
    assert bulk.progress(job) | {} == {"done": 7, "failed": 1, "skipped": 0, "remaining": 0,
                                       "finished": 8, "total": 8, "percent": 100}  # fmt: skip
    mid_send = BulkItem.objects.get(pk=items[3].pk)
    assert "may or may not have reached the device" in mid_send.message
    record = ActionRecord.objects.get(key=bulk.item_key(items[3]))
    assert record.state == ActionRecord.State.UNKNOWN and record.may_resend


def test_a_job_whose_worker_is_alive_is_not_resumed(
    client_of, operator, polled, all_devices, eager
):
    from datetime import timedelta

    from devices.bulk_tasks import resume_stalled_bulk_jobs

    chosen = org_devices(all_devices, ORG_A, 4)
    job = start(client_of(operator), {"action": "reboot",
                                      "devices": ",".join(str(d.id) for d in chosen)})  # fmt: skip
    items = list(job.items.order_by("pk"))
    _as_left_by_a_killed_worker(job, operator, sent=items[:1], mid_send=items[1],
                                heartbeat_age=timedelta(seconds=5))  # fmt: skip
    polled.clear_log()

    resume_stalled_bulk_jobs()

    assert patches(polled) == []
    assert BulkJob.objects.get(pk=job.pk).state == BulkJob.State.RUNNING


def test_a_queued_job_whose_message_was_lost_is_started(
    client_of, operator, polled, all_devices, eager
):
    from datetime import timedelta

    from django.utils import timezone

    from devices.bulk_tasks import resume_stalled_bulk_jobs

    chosen = org_devices(all_devices, ORG_A, 3)
    job = start(client_of(operator), {"action": "sync",
                                      "devices": ",".join(str(d.id) for d in chosen)})  # fmt: skip
    BulkJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=bulk.stall_seconds() + 1)
    )
    polled.clear_log()

    resume_stalled_bulk_jobs()

    assert sorted(patches(polled)) == sorted(f"/api/v1/inventory_device/{d.id}/" for d in chosen)
    assert BulkJob.objects.get(pk=job.pk).state == BulkJob.State.DONE


def confirmed_key(client, data) -> str:
    """The one-time key of the confirmation page for `data`, as its form carries it."""
    page = client.post("/devices/bulk/", data).content.decode()
    return re.search(r'name="start_key" value="([^"]+)"', page).group(1)


def test_a_confirmation_sent_twice_starts_one_job_and_shows_it(
    client_of, operator, polled, all_devices
):
    """Before, a double click (or a browser without JavaScript sending twice) started two
    jobs: every device got the action twice."""
    client = client_of(operator)
    ids = ",".join(str(d.id) for d in org_devices(all_devices, ORG_A, 2))
    data = {"action": "reboot", "devices": ids}
    data["start_key"] = confirmed_key(client, data)

    first = client.post("/devices/bulk/start/", data)
    again = client.post("/devices/bulk/start/", data, follow=True)

    job = BulkJob.objects.get()
    assert first["Location"] == f"/devices/bulk/{job.pk}/"
    assert again.redirect_chain == [(f"/devices/bulk/{job.pk}/", 302)]
    assert "This confirmation was sent already" in again.content.decode()
    assert BulkItem.objects.count() == 2  # one per device, once


@pytest.mark.parametrize("key", [None, "", "short"])
def test_a_confirmation_without_its_key_starts_nothing_and_asks_again(
    client_of, operator, polled, all_devices, key
):
    ids = ",".join(str(d.id) for d in org_devices(all_devices, ORG_A, 2))
    data = {"action": "reboot", "devices": ids, **({"start_key": key} if key is not None else {})}
    response = client_of(operator).post("/devices/bulk/start/", data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was started: this page is too old" in page
    assert re.search(r'name="start_key" value="[A-Za-z0-9_-]{32}"', page)
    assert not BulkJob.objects.exists()


def test_another_persons_confirmation_starts_nothing_and_shows_nothing(
    client_of, operator, noc, polled, all_devices
):
    ids = ",".join(str(d.id) for d in org_devices(all_devices, ORG_A, 2))
    data = {"action": "reboot", "devices": ids}
    data["start_key"] = confirmed_key(client_of(operator), data)
    started = client_of(operator).post("/devices/bulk/start/", data)

    replayed = client_of(noc).post("/devices/bulk/start/", data)

    assert replayed.status_code == 400
    assert started["Location"] not in replayed.content.decode()
    assert BulkJob.objects.count() == 1


def test_ticked_boxes_sent_without_the_pages_script_are_the_selection(
    client_of, operator, polled, all_devices
):
    """Before, a browser without JavaScript sent the ticked `device` boxes and an empty
    `devices`: the confirmation said the user's role could change none of them."""
    chosen = org_devices(all_devices, ORG_A, 2)
    data = {"action": "reboot", "devices": "", "device": [str(d.id) for d in chosen]}

    page = client_of(operator).post("/devices/bulk/", data).content.decode()

    assert '<strong id="bulk-total">2</strong>' in page
    assert "nothing to do" not in page


def test_nothing_ticked_says_to_tick_devices_not_that_the_role_forbids(client_of, operator, polled):
    page = client_of(operator).post("/devices/bulk/", {"action": "reboot", "devices": ""})
    assert "Tick the devices to act on first" in page.content.decode()


def test_a_job_whose_every_device_failed_says_so_not_done(client_of, operator, polled, all_devices):
    """Before, a job of three devices all refused read "State: Done", beside "Done 0"."""
    chosen = org_devices(all_devices, ORG_A, 3)
    client = client_of(operator)
    job = start(client, {"action": "reboot", "devices": ",".join(str(d.id) for d in chosen)})
    polled.set_faults(error_rate=1.0, error_status=[503], method="PATCH")
    try:
        bulk.run_job(job.pk)
    finally:
        polled.clear_faults()

    page = client.get(f"/devices/bulk/{job.pk}/").content.decode()

    assert "State: <strong data-job-state>Finished: every device failed</strong>" in page
    assert "Done" not in re.sub(r'data-[a-z-]+="[^"]*"', "", page.split("<h1>", 1)[1])
    assert 'Sent <strong data-count="done">0<' in page


def test_a_finished_job_counts_what_was_sent_and_what_failed(
    client_of, operator, polled, all_devices
):
    chosen = org_devices(all_devices, ORG_A, 3)
    client = client_of(operator)
    job = start(client, {"action": "reboot", "devices": ",".join(str(d.id) for d in chosen)})
    polled.set_faults(next_errors=1, error_status=[503], method="PATCH")
    bulk.run_job(job.pk)

    page = client.get(f"/devices/bulk/{job.pk}/").content.decode()

    assert "<strong data-job-state>Finished: 2 sent, 1 failed</strong>" in page
    assert page.count("<td>Sent</td>") == 2 and page.count("<td>Failed</td>") == 1
