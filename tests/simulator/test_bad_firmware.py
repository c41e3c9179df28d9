"""Bad firmware images: /_sim/firmware/{id}/bad makes devices of a type that are updated to
the image never confirm it, or go Down a while after it applied; a good image applies."""

import time

import pytest

from simulator.control import SimulatorControlError

OP_DELAY = 0.3
IMAGE, VERSION, TYPE = 64, "3.3.1", 21  # home_gateway's newest image


@pytest.fixture
def quick_ops(sim_control):
    sim_control.settings(op_delay_seconds=OP_DELAY, churn_per_minute=0)
    return sim_control


def _up_gateway(api) -> int:
    return next(
        d["id"]
        for d in api.all_devices(status="1", type=str(TYPE))
        if d["pending_settings"] is None and d["software_version"] != VERSION
    )


def _update(api, device_id: int) -> dict:
    body = {"firmware_image": IMAGE, "firmware_image_is_pending": True}
    return api.patch(f"/inventory_device/{device_id}/", body).json()


def _read(api, device_id: int) -> dict:
    return api.get(f"/inventory_device/{device_id}/").json()


def test_an_image_marked_unconfirmed_stays_pending(api, quick_ops):
    quick_ops.mark_image_bad(IMAGE, failure="unconfirmed")
    device_id = _up_gateway(api)
    before = _read(api, device_id)["software_version"]
    _update(api, device_id)
    time.sleep(OP_DELAY + 0.1)
    quick_ops.advance(3600)
    after = _read(api, device_id)
    assert after["pending_settings"] == "firmware_update"
    assert after["firmware_image_is_pending"] is True
    assert after["software_version"] == before


def test_an_image_marked_down_applies_then_takes_the_device_down(api, quick_ops):
    quick_ops.mark_image_bad(IMAGE, failure="down", down_after_seconds=120)
    device_id = _up_gateway(api)
    _update(api, device_id)
    time.sleep(OP_DELAY + 0.1)
    applied = _read(api, device_id)
    assert applied["software_version"] == VERSION
    assert applied["pending_settings"] is None
    assert applied["status"] == "Up"
    quick_ops.advance(121)
    assert _read(api, device_id)["status"] == "Down"
    quick_ops.advance(3600)
    assert _read(api, device_id)["status"] == "Down"  # a bad image does not recover by itself


def test_a_bad_image_spares_devices_of_other_types(api, quick_ops):
    quick_ops.mark_image_bad(IMAGE, type_id=12, failure="unconfirmed")
    device_id = _up_gateway(api)
    _update(api, device_id)
    time.sleep(OP_DELAY + 0.1)
    assert _read(api, device_id)["software_version"] == VERSION


def test_an_image_marked_good_again_applies_and_reset_forgets_bad_images(api, quick_ops):
    quick_ops.mark_image_bad(IMAGE)
    quick_ops.mark_image_good(IMAGE)
    device_id = _up_gateway(api)
    _update(api, device_id)
    time.sleep(OP_DELAY + 0.1)
    assert _read(api, device_id)["software_version"] == VERSION
    quick_ops.mark_image_bad(IMAGE)
    quick_ops.reset()
    quick_ops.settings(op_delay_seconds=OP_DELAY)
    other = _up_gateway(api)
    _update(api, other)
    time.sleep(OP_DELAY + 0.1)
    assert _read(api, other)["software_version"] == VERSION


def test_marking_an_unknown_image_or_failure_is_refused(quick_ops):
    with pytest.raises(SimulatorControlError, match="404"):
        quick_ops.mark_image_bad(9999)
    with pytest.raises(SimulatorControlError, match="failure"):
        quick_ops.mark_image_bad(IMAGE, failure="melts")


@pytest.mark.parametrize("delay", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_delay_that_is_not_a_finite_number_of_seconds_is_refused(api, quick_ops, delay):
    """Python's JSON reads NaN and Infinity: a NaN delay was kept (and answered as NaN, which
    is not JSON), and the device it made go Down "after NaN seconds" never did."""
    answer = quick_ops.session.post(
        f"{quick_ops.base_url}/_sim/firmware/{IMAGE}/bad",
        data=f'{{"failure": "down", "down_after_seconds": {delay}}}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json() == {"down_after_seconds": ["A number of seconds, zero or more."]}
    device_id = _up_gateway(api)
    _update(api, device_id)  # the image is not bad: it applies and the device stays Up
    time.sleep(OP_DELAY + 0.1)
    quick_ops.advance(3600)
    assert _read(api, device_id)["status"] == "Up"
