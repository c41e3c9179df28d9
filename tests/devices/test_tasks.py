"""The Celery tasks: thin wrappers that read settings, call the poll services and
create the organizations the fleet shows."""

from datetime import timedelta

import pytest

from accounts.models import Organization
from devices import claims, tasks
from devices.models import Claim, ClaimEvent
from fleet import polling
from fleet.locks import RedisLock
from fleet.store.queries import DeviceQuery

# A successful poll creates the organizations it saw, in the database.
pytestmark = pytest.mark.django_db


def test_the_fleet_task_fills_the_cache(model, still_fleet, cache_settings):
    outcome = tasks.poll_fleet.apply().get()

    assert outcome == "full: 300 devices, 6 pages"
    assert model.query(DeviceQuery(limit=1), None).total == 300


def test_organizations_seen_in_the_fleet_are_created(model, still_fleet, cache_settings):
    tasks.poll_fleet.apply()

    seen = model.organizations()
    assert seen
    assert set(Organization.objects.values_list("upstream_id", flat=True)) == seen


def test_a_beat_during_a_running_poll_is_skipped(model, still_fleet, cache_settings):
    running = RedisLock(model.client, model.keys.poll_lock(polling.FLEET), ttl=5)
    assert running.acquire()

    outcome = tasks.poll_fleet.apply().get()

    assert outcome.startswith("skipped")
    assert model.snapshot_info() is None


def test_a_failed_poll_is_retried_and_then_reported(model, still_fleet, cache_settings):
    still_fleet.set_faults(error_rate=1.0, error_status=[503])

    result = tasks.poll_fleet.apply()

    assert result.failed()
    assert isinstance(result.result, polling.PollFailed)
    # The first attempt and MAX_POLL_RETRIES retries, each recorded in the poll health.
    assert model.poll_health(polling.FLEET).failures == 1 + tasks.MAX_POLL_RETRIES


def test_the_profile_task_fills_the_profile_snapshot(model, still_fleet, cache_settings):
    tasks.poll_profiles.apply()

    assert model.read_profiles().items


def test_refresh_now_fetches_the_device_with_update_status(model, still_fleet, cache_settings):
    still_fleet.clear_log()

    outcome = tasks.refresh_device.apply(args=(1001,)).get()

    entry = still_fleet.request_log(last=1)["entries"][0]
    assert outcome.startswith("device 1001:")
    assert entry["path"] == "/api/v1/inventory_device/1001/"
    assert "update_status" in str(entry["query"])
    assert model.get_device(1001) is None  # no snapshot yet: nothing to update in place


def test_the_tasks_are_named_as_the_beat_schedule_calls_them(settings):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    from config.celery import app
    from devices.bulk_tasks import resume_stalled_bulk_jobs

    assert {tasks.poll_fleet.name, tasks.poll_profiles.name, resume_stalled_bulk_jobs.name} <= (
        scheduled
    )
    # Every task beat sends is registered under that name once the process has imported its
    # apps' task modules, as a worker does when it starts.
    app.autodiscover_tasks(force=True)
    assert scheduled <= set(app.tasks)


@pytest.fixture
def claimed_down_device(model, still_fleet, cache_settings, django_user_model):
    """Device 1030 taken Down and polled, then claimed by someone on call."""
    tasks.poll_fleet.apply()
    still_fleet.set_status(1030, up=False)
    tasks.poll_fleet.apply()
    assert not model.get_device(1030).device.is_up
    user = django_user_model.objects.create_user("oncall")
    Claim.objects.create(device_id=1030, organization_id=None, user=user, note="on it")
    return 1030


def test_a_poll_that_sees_a_claimed_device_come_up_keeps_the_claim_a_while(
    claimed_down_device, still_fleet
):
    still_fleet.set_status(claimed_down_device, up=True)

    tasks.poll_fleet.apply()  # it may go Down again: a flap

    assert Claim.objects.filter(device_id=claimed_down_device).exists()


def test_a_poll_ends_the_claim_of_a_device_up_for_long_enough(
    claimed_down_device, still_fleet, monkeypatch
):
    monkeypatch.setattr(claims, "KEPT_UP", timedelta(0))  # Up at all is Up long enough
    still_fleet.set_status(claimed_down_device, up=True)

    tasks.poll_fleet.apply()  # nobody reads the triage board

    assert not Claim.objects.filter(device_id=claimed_down_device).exists()
    ended = ClaimEvent.objects.get(kind=ClaimEvent.Kind.ENDED)
    assert (ended.device_id, ended.holder, ended.by) == (claimed_down_device, "oncall", "")


def test_a_refresh_ends_the_claim_of_a_device_up_for_long_enough(
    claimed_down_device, still_fleet, monkeypatch
):
    monkeypatch.setattr(claims, "KEPT_UP", timedelta(0))
    still_fleet.set_status(claimed_down_device, up=True)

    tasks.refresh_device.apply(args=[claimed_down_device])  # "refresh now" on its page

    assert not Claim.objects.filter(device_id=claimed_down_device).exists()


def test_a_poll_keeps_the_claim_of_a_device_still_down(claimed_down_device):
    tasks.poll_fleet.apply()

    assert Claim.objects.filter(device_id=claimed_down_device).exists()
