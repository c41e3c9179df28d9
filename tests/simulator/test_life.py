"""Fleet life: queued operations clear after the op delay, reboots, firmware updates,
headless operations, the device-operation lifecycle, churn and flappers."""

import time
from datetime import UTC, datetime, timedelta

import pytest

OP_DELAY = 0.3


@pytest.fixture
def quick_ops(sim_control):
    sim_control.settings(op_delay_seconds=OP_DELAY)
    return sim_control


def _settled(api, device_id: int) -> dict:
    time.sleep(OP_DELAY + 0.1)
    return api.get(f"/inventory_device/{device_id}/").json()


def _up_device_id(api) -> int:
    return next(d["id"] for d in api.all_devices(status="1") if d["pending_settings"] is None)


def test_sync_is_pending_then_clears_after_the_op_delay(api, quick_ops):
    device_id = _up_device_id(api)
    assert (
        api.patch(f"/inventory_device/{device_id}/", {"sync": True}).json()["pending_settings"]
        == "sync"
    )
    assert _settled(api, device_id)["pending_settings"] is None


def test_reboot_takes_the_device_down_then_up(api, quick_ops):
    device_id = _up_device_id(api)
    during = api.patch(f"/inventory_device/{device_id}/", {"reboot": True}).json()
    assert during["status"] == "Down"
    after = _settled(api, device_id)
    assert after["status"] == "Up"
    assert after["pending_settings"] is None


def test_firmware_update_changes_the_software_version_when_done(api, quick_ops):
    device_id = _up_device_id(api)
    device = api.get(f"/inventory_device/{device_id}/").json()
    newest = {12: 48, 15: 53, 21: 64, 23: 73, 31: 83, 34: 92, 40: 103}[device["type"]]
    versions = {
        48: "2.5.0",
        53: "1.9.4",
        64: "3.3.1",
        73: "5.1.8",
        83: "7.4.2",
        92: "4.1.1",
        103: "1.2.0",
    }
    body = {"firmware_image": newest, "firmware_image_is_pending": True}
    during = api.patch(f"/inventory_device/{device_id}/", body).json()
    assert during["firmware_image_is_pending"] is True
    assert "firmware_update" in during["pending_settings"]
    after = _settled(api, device_id)
    assert after["software_version"] == versions[newest]
    assert after["firmware_image_is_pending"] is False


def test_firmware_image_for_another_device_type_is_a_400(api, quick_ops):
    device = api.get("/inventory_device/", type=21, limit=1).json()["results"][0]
    body = {"firmware_image": 45, "firmware_image_is_pending": True}  # an enterprise_router image
    response = api.patch(f"/inventory_device/{device['id']}/", body)
    assert response.status_code == 400
    assert "firmware_image" in response.json()


def test_debug_flag_applies_when_the_device_confirms(api, quick_ops):
    device_id = _up_device_id(api)
    during = api.patch(f"/inventory_device/{device_id}/", {"debug": True}).json()
    assert during["pending_settings"] == "debug:on"  # write answers give entry values
    assert _settled(api, device_id)["debug"] is True


def test_delete_is_allowed_once_pending_work_has_cleared(api, quick_ops):
    device_id = _up_device_id(api)
    api.patch(f"/inventory_device/{device_id}/", {"reconf": True})
    assert api.delete(f"/inventory_device/{device_id}/").status_code == 409
    time.sleep(OP_DELAY + 0.1)
    assert api.delete(f"/inventory_device/{device_id}/").status_code == 204


def test_op_delay_is_restored_by_reset(sim_control):
    sim_control.settings(op_delay_seconds=0.1)
    sim_control.reset()
    assert sim_control.settings()["op_delay_seconds"] == 5.0


HEADLESS = "/inventory_device_serial_headless_operation/"


def _schedule(api, serial: str, seconds_ahead: float, operation_type="configuration_update"):
    when = datetime.now(UTC) + timedelta(seconds=seconds_ahead)
    return api.post(
        HEADLESS,
        {
            "device_serial": serial,
            "operation_type": operation_type,
            "scheduled_time": when.isoformat(),
            "parameters": {"config_profile": "production_v2"},
        },
    )


def test_headless_operation_is_created_scheduled_with_a_txn_id(api):
    serial = api.get("/inventory_device/1001/").json()["serial_number"]
    created = _schedule(api, serial, 3600)
    assert created.status_code == 201
    body = created.json()
    assert body["id"].startswith("txn_")
    assert body["status"] == "scheduled"
    assert body["parameters"] == {"config_profile": "production_v2"}


def test_headless_operation_completes_once_its_time_has_passed(api):
    serial = api.get("/inventory_device/1001/").json()["serial_number"]
    txn = _schedule(api, serial, 1.5).json()["id"]
    first = api.get(HEADLESS, id=txn).json()
    assert first["count"] == 1
    assert first["results"][0]["status"] == "scheduled"
    time.sleep(1.6)
    assert api.get(HEADLESS, id=txn).json()["results"][0]["status"] == "completed"


def test_headless_answer_reports_the_device_status(api):
    device = api.get("/inventory_device/1001/").json()
    txn = _schedule(api, device["serial_number"], 3600).json()["id"]
    status = api.get(HEADLESS, id=txn).json()["results"][0]["device_status"]
    assert status["online"] == (device["status"] == "Up")
    assert status["firmware_version"] == device["software_version"]


def test_scheduled_headless_operation_blocks_delete(api):
    device = next(d for d in api.all_devices() if d["pending_settings"] is None)
    _schedule(api, device["serial_number"], 3600)
    assert api.delete(f"/inventory_device/{device['id']}/").status_code == 409


def test_headless_for_an_unknown_serial_is_a_404(api):
    assert _schedule(api, "NO-SUCH-SERIAL", 60).status_code == 404


def test_headless_with_a_bad_type_or_time_is_a_400_per_field(api):
    response = api.post(
        HEADLESS,
        {"device_serial": "X", "operation_type": "explode", "scheduled_time": "tomorrow"},
    )
    assert response.status_code == 400
    assert {"operation_type", "scheduled_time"} <= set(response.json())


def test_headless_scheduled_time_without_offset_is_a_400(api):
    serial = api.get("/inventory_device/1001/").json()["serial_number"]
    response = api.post(
        HEADLESS,
        {"device_serial": serial, "operation_type": "reboot", "scheduled_time": "2030-01-01T02:00"},
    )
    assert response.status_code == 400


def test_unknown_transaction_is_a_404(api):
    assert api.get(HEADLESS, id="txn_424242").status_code == 404


def test_headless_lookup_without_an_id_is_a_400(api):
    response = api.get(HEADLESS)
    assert response.status_code == 400
    assert "id" in response.json()


OPERATION = "/inventory_device_operation/{}/"


def test_device_operation_moves_to_maintenance_and_records_history(api):
    answer = api.put(
        OPERATION.format(1001),
        {
            "operational_status": "maintenance",
            "assigned_user": "ana@noc.example",
            "operator_id": "ana@noc.example",
        },
    ).json()
    assert answer["id"] == 1001
    assert answer["operational_status"] == "maintenance"
    assert answer["assigned_user"] == "ana@noc.example"
    assert answer["operational_history"][-1] | {"timestamp": None} == {
        "timestamp": None,
        "action": "status_change",
        "from_status": "active",
        "to_status": "maintenance",
        "performed_by": "ana@noc.example",
    }


def test_device_operation_returns_from_maintenance_to_active(api):
    api.put(OPERATION.format(1001), {"operational_status": "maintenance"})
    answer = api.put(OPERATION.format(1001), {"operational_status": "active"}).json()
    assert answer["operational_status"] == "active"
    assert len(answer["operational_history"]) == 2


def test_nothing_leaves_decommissioned(api):
    api.put(OPERATION.format(1001), {"operational_status": "decommissioned"})
    response = api.put(OPERATION.format(1001), {"operational_status": "active"})
    assert response.status_code == 400
    assert "operational_status" in response.json()


def test_unknown_operational_status_is_a_400(api):
    assert api.put(OPERATION.format(1001), {"operational_status": "on_fire"}).status_code == 400


def test_device_operation_for_an_unknown_device_is_a_404(api):
    assert api.put(OPERATION.format(999999), {"operational_status": "active"}).status_code == 404


def test_advancing_the_clock_drops_and_restores_devices(api, sim_control):
    sim_control.settings(churn_per_minute=0.05, recovery_seconds=[60, 120])
    dropped = sim_control.advance(60)["down"]
    assert dropped
    restored = sim_control.advance(180)["up"]
    assert set(dropped) - set(restored) <= {
        d["id"] for d in api.all_devices() if d["status"] == "Down"
    }
    assert set(dropped) & set(restored)


def test_a_dropped_device_is_down_with_a_new_status_change(api, sim_control):
    sim_control.settings(churn_per_minute=0.05)
    before = datetime.now(UTC)
    non_flapping = sim_control.advance(60)["down"]
    device = api.get(f"/inventory_device/{non_flapping[-1]}/").json()
    assert device["status"] == "Down"
    assert datetime.fromisoformat(device["status_change"]) >= before - timedelta(seconds=61)


def test_flappers_toggle_without_any_churn(sim_control):
    sim_control.settings(churn_per_minute=0, flap_seconds=[5, 10])
    summary = sim_control.advance(180)  # the first toggles come within two minutes
    assert len(summary["down"]) + len(summary["up"]) > 2


def test_churn_depends_on_time_not_on_the_number_of_requests(sim_control):
    sim_control.settings(churn_per_minute=0.02, flap_seconds=[1e6, 1e6])
    one_step = len(sim_control.advance(600)["down"])
    sim_control.reset()
    sim_control.settings(churn_per_minute=0.02, flap_seconds=[1e6, 1e6])
    ten_steps = sum(len(sim_control.advance(60)["down"]) for _ in range(10))
    assert abs(one_step - ten_steps) <= max(3, one_step // 3)


def test_update_status_requests_advance_life_by_elapsed_time(api, sim_control):
    sim_control.settings(churn_per_minute=0.5, update_status_latency_ms=0)
    api.get("/inventory_device/", limit=1, update_status="true")
    down_before = api.get("/inventory_device/", status="0").json()["count"]
    time.sleep(1.2)
    api.get("/inventory_device/", limit=1, update_status="true")
    assert api.get("/inventory_device/", status="0").json()["count"] > down_before


def test_without_update_status_the_fleet_stands_still(api, sim_control):
    sim_control.settings(churn_per_minute=0.5)
    down_before = api.get("/inventory_device/", status="0").json()["count"]
    time.sleep(1.2)
    assert api.get("/inventory_device/", status="0").json()["count"] == down_before


def test_the_same_advances_from_a_reset_give_the_same_changes(sim_control):
    sim_control.settings(churn_per_minute=0.05)
    first = sim_control.advance(300)
    sim_control.reset()
    sim_control.settings(churn_per_minute=0.05)
    second = sim_control.advance(300)
    assert (first["down"], first["up"]) == (second["down"], second["up"])
    assert first["down"]
