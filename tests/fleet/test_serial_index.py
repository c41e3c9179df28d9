"""The read model's serial index: exact serial -> device id lookups, kept in step by
full polls, in-place updates and removals."""

from datetime import UTC, datetime

import msgspec
import pytest

from fleet import polling


@pytest.fixture
def polled(model, api_factory, poll_config, still_fleet):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    return still_fleet


def test_a_full_poll_indexes_every_serial(model, polled, all_devices):
    fleet = {d.serial_number: d.id for d in all_devices() if d.serial_number}

    assert fleet and model.find_serials(fleet) == fleet


def test_a_serial_matches_only_exactly(model, polled, all_devices):
    serial = next(d.serial_number for d in all_devices() if d.serial_number)

    assert model.find_serials([serial.lower(), serial[:-1], "NO-SUCH-SERIAL"]) == {}


def test_an_update_in_place_moves_a_device_to_its_new_serial(model, polled, all_devices):
    device = all_devices()[5]
    renamed = msgspec.structs.replace(device, serial_number="RENAMED-0001")

    model.update_devices([renamed], observed_at=datetime.now(UTC))

    found = model.find_serials([device.serial_number, "RENAMED-0001"])
    assert found == {"RENAMED-0001": device.id}


def test_a_removed_device_frees_its_serial(model, polled, all_devices):
    device = all_devices()[7]

    model.remove_devices([device.id])

    assert model.find_serials([device.serial_number]) == {}


def test_before_the_first_poll_no_serial_is_known(model, all_devices):
    assert model.find_serials([all_devices()[0].serial_number]) == {}
