"""A device record the dashboard cannot store (a 30-digit `type`, as a real upstream
accepted) is set aside with a warning naming it; the rest of the fleet is stored, the
poll succeeds, and the poller's health panel names the record."""

import logging
from datetime import UTC, datetime

import pytest

from controlapi import errors
from devices import device_writes
from fleet import polling
from fleet.store.queries import DeviceQuery

HOSTILE = 1042
HUGE = 123456789012345678901234567890
WHY = "type is not a number the dashboard can store"


def _ids(page):
    return {d.id for d in page.items}


def _poll(model, api_factory, poll_config, mode, **kwargs):
    return polling.poll_fleet(
        model=model, api_factory=api_factory, config=poll_config, mode=mode, **kwargs
    )


def _warnings_naming(caplog, device_id):
    return [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and f"id {device_id}" in r.getMessage()
    ]


def test_a_full_poll_sets_aside_a_record_it_cannot_store_and_stores_the_rest(
    model, api_factory, poll_config, still_fleet, all_devices, caplog
):
    still_fleet.answer_fields(HOSTILE, type=HUGE)

    with caplog.at_level(logging.WARNING, logger="fleet.polling"):
        report = _poll(model, api_factory, poll_config, polling.FULL)

    page = model.query(DeviceQuery(limit=500), None)
    assert _ids(page) == {d.id for d in all_devices()} - {HOSTILE}
    assert report.devices == page.total
    health = model.poll_health(polling.FLEET)
    assert health.failures == 0 and health.last_error is None
    assert health.set_aside == ((HOSTILE, WHY),) and health.set_aside_total == 1
    assert _warnings_naming(caplog, HOSTILE)


def test_an_incremental_poll_stores_the_other_changes_and_names_the_record(
    model, api_factory, poll_config, still_fleet, caplog
):
    _poll(model, api_factory, poll_config, polling.FULL)
    still_fleet.answer_fields(HOSTILE, type=HUGE)
    for device_id in (HOSTILE, 1043):  # both changed status since the snapshot
        still_fleet.set_status(device_id, up=False)
        still_fleet.set_status(device_id, up=True)
        still_fleet.set_status(device_id, up=False)

    with caplog.at_level(logging.WARNING, logger="fleet.polling"):
        report = _poll(model, api_factory, poll_config, polling.INCREMENTAL)

    assert report.set_aside == [(HOSTILE, WHY)]
    assert not model.get_device(1043).device.is_up
    health = model.poll_health(polling.FLEET)
    assert health.failures == 0 and health.set_aside == ((HOSTILE, WHY),)
    assert _warnings_naming(caplog, HOSTILE)
    # The next full poll, which reads the whole fleet, still names it, once.
    _poll(model, api_factory, poll_config, polling.FULL)
    assert model.poll_health(polling.FLEET).set_aside == ((HOSTILE, WHY),)


def test_a_refresh_of_the_record_answers_in_words(model, api_factory, poll_config, still_fleet):
    _poll(model, api_factory, poll_config, polling.FULL)
    still_fleet.answer_fields(HOSTILE, update_frequency=HUGE)
    kept = model.get_device(HOSTILE).device

    with pytest.raises(errors.BadResponse) as raised:
        polling.refresh_device(
            model=model, api_factory=api_factory, device_id=HOSTILE, update_status=False
        )

    said = str(raised.value)
    assert f"device {HOSTILE}" in said and "update_frequency is not a number" in said
    assert model.get_device(HOSTILE).device == kept  # the last copy stays


@pytest.mark.django_db
def test_the_poller_health_panel_names_the_record_set_aside(
    model, api_factory, poll_config, still_fleet, cache_settings, client_of, noc, tenant_admin
):
    still_fleet.answer_fields(HOSTILE, type=HUGE)
    _poll(model, api_factory, poll_config, polling.FULL)

    for_noc = client_of(noc).get("/").content.decode()
    for_tenant = client_of(tenant_admin).get("/").content.decode()

    assert f"1 device record set aside: id {HOSTILE}: {WHY}." in for_noc
    # A tenant learns that a record was set aside, not which (it may be another's).
    assert "1 device record set aside" in for_tenant and str(HOSTILE) not in for_tenant


@pytest.mark.django_db
def test_a_write_whose_answer_cannot_be_cached_still_succeeds(
    model, api_factory, poll_config, still_fleet, cache_settings, tenant_admin, caplog
):
    """The upstream took a number the cache cannot hold (the form bounds its own; the
    upstream's answer may still carry one): the write is done, the cache keeps the rest."""
    _poll(model, api_factory, poll_config, polling.FULL)
    fields = {"name": "odd-cpe", "serial_number": "ODD-0001", "type": 12, "organization_id": 5,
              "password": "device-pw-123", "update_frequency": HUGE}  # fmt: skip

    with caplog.at_level(logging.WARNING, logger="devices.device_writes"):
        device = device_writes.device_create(user=tenant_admin, fields=fields, key=None)

    assert device.update_frequency > 2**64  # created upstream as asked
    assert model.get_device(device.id) is None
    assert any(str(device.id) in r.getMessage() for r in caplog.records)
    # The polls go on: the new device's list record holds nothing too large.
    _poll(model, api_factory, poll_config, polling.INCREMENTAL)
    assert model.poll_health(polling.FLEET).failures == 0


def test_the_set_aside_list_names_at_most_a_few_and_counts_the_rest(model):
    now = datetime.now(UTC)
    many = [(i, WHY) for i in range(1, 31)]
    model.poll_succeeded(
        polling.FLEET, at=now, duration=1.0, devices=5, pages=1, mode=polling.FULL,
        set_aside=many,
    )  # fmt: skip

    health = model.poll_health(polling.FLEET)

    assert len(health.set_aside) == 20 and health.set_aside_total == 30


@pytest.mark.django_db
@pytest.mark.parametrize("part", ["", "edit/form/"])
def test_the_device_pages_of_the_record_say_why(
    model, api_factory, poll_config, still_fleet, cache_settings, client_of, noc, part
):
    _poll(model, api_factory, poll_config, polling.FULL)
    still_fleet.answer_fields(HOSTILE, update_frequency=HUGE)  # in its detail record only

    response = client_of(noc).get(f"/devices/{HOSTILE}/{part}", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    said = response.content.decode()
    assert f"sent device {HOSTILE} with a value the dashboard cannot store" in said
    assert "update_frequency is not a number" in said


def test_incremental_polls_name_a_record_once(model):
    now = datetime.now(UTC)
    orphan = (None, "a record the dashboard cannot read (a device without an id)")
    for mode in (polling.FULL, polling.INCREMENTAL, polling.INCREMENTAL):
        model.poll_succeeded(
            polling.FLEET, at=now, duration=1.0, devices=5, pages=1, mode=mode,
            set_aside=[(HOSTILE, WHY), orphan],
        )  # fmt: skip

    health = model.poll_health(polling.FLEET)

    assert health.set_aside == ((HOSTILE, WHY), orphan) and health.set_aside_total == 2
