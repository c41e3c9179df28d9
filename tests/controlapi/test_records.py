"""Normalisation of upstream records at the client boundary (pure, no I/O)."""

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType

import pytest

from controlapi.records import (
    Device,
    DeviceOperation,
    HeadlessOperation,
    PendingSetting,
    Profile,
    looks_secret,
    parse_pending_settings,
)
from tests.controlapi.contract_examples import DETAIL, LIST_ITEM, NEVER_CONNECTED

# --- pending_settings ----------------------------------------------------------


@pytest.mark.parametrize("empty", [None, "", " , ,"])
def test_no_pending_settings_is_an_empty_tuple(empty):
    assert parse_pending_settings(empty) == ()


def test_pending_settings_entries_are_bare_names_or_name_value():
    assert parse_pending_settings("firmware_update,debug:on") == (
        PendingSetting("firmware_update", None),
        PendingSetting("debug", "on"),
    )


def test_pending_setting_value_keeps_its_colons():
    (setting,) = parse_pending_settings("reboot_scheduled:2024-01-16T02:00:00Z")
    assert setting == PendingSetting("reboot_scheduled", "2024-01-16T02:00:00Z")


def test_pending_settings_spaces_and_empty_entries_are_ignored():
    assert parse_pending_settings(" reboot , ,sync : now ,:orphan,") == (
        PendingSetting("reboot", None),
        PendingSetting("sync", "now"),
    )


def test_pending_setting_with_empty_value_has_no_value():
    assert parse_pending_settings("reboot:") == (PendingSetting("reboot", None),)


def test_pending_settings_as_a_list_or_object_read_the_same():
    expected = (PendingSetting("reboot", None), PendingSetting("firmware_update", "pending"))
    assert parse_pending_settings(["reboot", "firmware_update:pending"]) == expected
    assert parse_pending_settings({"reboot": None, "firmware_update": "pending"}) == expected


# --- devices -------------------------------------------------------------------


def test_list_item_is_normalised():
    device = Device.from_api(LIST_ITEM)
    assert device.id == 1001
    assert device.is_up and device.status == "Up"
    assert device.status_change == datetime(2024, 1, 15, 9, 30, 15, tzinfo=UTC)
    assert device.latitude == Decimal("40.7128") and device.longitude == Decimal("-74.0060")
    assert device.organization_id == 5 and device.location == 25
    assert device.pending_settings == (
        PendingSetting("firmware_update"),
        PendingSetting("reboot_scheduled"),
    )
    # Detail-only fields are unknown in a list answer, not False.
    assert device.debug is None and device.firmware_image_is_pending is None


def test_detail_fields_are_read():
    device = Device.from_api(DETAIL)
    assert device.unique_identifier == "ZEQ:ENT:RTR:240100001"
    assert device.firmware_image == 45 and device.firmware_image_is_pending is True
    assert device.debug is False and device.update_frequency == 300
    assert device.last_change == datetime(2024, 1, 15, 12, 45, 20, tzinfo=UTC)
    assert device.pending_settings[1] == PendingSetting("reboot_scheduled", "2024-01-16T02:00:00Z")


def test_never_connected_device_has_none_for_unknown_fields():
    device = Device.from_api(NEVER_CONNECTED)
    assert not device.is_up
    assert device.software_version is None and device.manufacturer is None
    assert device.last_connection is None and device.address is None
    assert device.pending_settings == ()


def test_device_with_only_an_id_gets_defaults():
    device = Device.from_api({"id": 7})
    assert (device.name, device.serial_number, device.status, device.is_active) == (
        "",
        "",
        "Down",
        False,
    )
    assert device.created is None and device.latitude is None


def test_device_without_an_id_is_refused():
    with pytest.raises(ValueError, match="without an id"):
        Device.from_api({"name": "orphan"})


def test_timestamp_offsets_are_kept_and_naive_timestamps_are_utc():
    device = Device.from_api(
        {"id": 1, "created": "2024-01-15T10:00:00+02:00", "last_change": "2024-01-15T10:00:00"}
    )
    assert device.created.utcoffset() == timedelta(hours=2)
    assert device.last_change == datetime(2024, 1, 15, 10, 0, tzinfo=UTC)


def test_unreadable_values_read_as_missing():
    device = Device.from_api(
        {"id": "9", "created": "yesterday", "latitude": "north", "type": "router", "location": []}
    )
    assert device.id == 9
    assert (device.created, device.latitude, device.type, device.location) == (None,) * 4


def test_numbers_too_large_for_a_float_read_as_missing():
    # JSON such as 1e999 decodes as an infinite float, which int() refuses.
    device = Device.from_api(json.loads('{"id": 5, "type": 1e999, "latitude": -1e999}'))
    assert (device.id, device.type, device.latitude) == (5, None, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Up", "Up"),
        ("up", "Up"),
        (True, "Up"),
        ("Down", "Down"),
        (None, "Down"),
        ("Rebooting", "Rebooting"),
    ],
)
def test_status_is_up_or_down_when_recognisable(raw, expected):
    assert Device.from_api({"id": 1, "status": raw}).status == expected


def test_device_password_is_dropped_and_unknown_fields_are_kept_without_credentials():
    device = Device.from_api(
        {**DETAIL, "password": "secure_password_123", "acs_url": "http://acs", "api_token": "t0k"}
    )
    assert dict(device.extra) == {"acs_url": "http://acs"}
    assert "secure_password_123" not in repr(device)
    assert "secure_password_123" not in json.dumps(device.to_cache())


@pytest.mark.parametrize(
    "raw", [LIST_ITEM, DETAIL, NEVER_CONNECTED, {"id": 3, "extra_map": {"a": [1]}}]
)
def test_cache_dict_is_json_and_round_trips_exactly(raw):
    device = Device.from_api(raw)
    cached = json.loads(json.dumps(device.to_cache()))
    assert Device.from_cache(cached) == device


def test_cache_keeps_timestamp_offsets():
    device = Device.from_api({"id": 1, "created": "2024-01-15T10:00:00+05:30"})
    again = Device.from_cache(json.loads(json.dumps(device.to_cache())))
    assert again.created.utcoffset() == timedelta(hours=5, minutes=30)


def test_older_cache_entry_without_newer_fields_still_loads():
    device = Device.from_cache({"id": 4, "name": "r4", "status": "Up"})
    assert device.is_up and device.pending_settings == () and device.debug is None


def test_device_is_read_only():
    device = Device.from_api(LIST_ITEM)
    with pytest.raises(AttributeError):
        device.name = "other"


# --- profiles ------------------------------------------------------------------

PROFILE_V1 = {
    "id": 1,
    "name": "production-database",
    "description": "Production inventory database connection",
    "connection_type": "database",
    "host": "prod-inventory.example.com",
    "port": 5432,
    "database": "inventory_prod",
    "username": "inventory_user",
    "ssl_enabled": True,
    "timeout": 30,
    "max_connections": 10,
    "created_at": "2024-01-15T10:30:00Z",
    "updated_at": "2024-01-15T10:30:00Z",
    "created_by": "admin@example.com",
    "is_active": True,
    "last_tested": "2024-01-20T09:15:00Z",
    "test_status": "success",
}
PROFILE_V2 = {
    "id": 1,
    "name": "Warehouse Management System",
    "description": "Primary connection to warehouse management system",
    "profile_type": "rest_api",
    "status": "active",
    "endpoint_url": "https://warehouse-api.company.com/v2",
    "authentication_type": "api_key",
    "ssl_enabled": True,
    "connection_timeout": 30,
    "retry_attempts": 3,
    "sync_frequency": "hourly",
    "last_sync": "2024-01-15T10:30:00Z",
    "last_sync_status": "success",
    "sync_record_count": 1247,
    "organization": "Main Warehouse",
    "created_by": "admin@company.com",
    "created_at": "2024-01-01T09:00:00Z",
    "updated_at": "2024-01-15T10:30:00Z",
    "configuration": {
        "data_mapping": {"item_id": "sku", "quantity": "stock_count"},
        "filters": {"active_items_only": True, "exclude_categories": ["obsolete"]},
        "api_key": "wh-live-key-123",
    },
    "health_status": {
        "connectivity": "healthy",
        "authentication": "valid",
        "last_error": None,
        "error_count_24h": 0,
    },
}


def test_older_profile_shape_reads_through_the_common_fields():
    profile = Profile.from_api(PROFILE_V1)
    assert profile.shape == "v1"
    assert profile.kind == "database"
    assert profile.timeout_seconds == 30
    assert profile.last_checked == datetime(2024, 1, 20, 9, 15, tzinfo=UTC)
    assert profile.last_check_status == "success"
    assert (profile.host, profile.port, profile.database) == (
        "prod-inventory.example.com",
        5432,
        "inventory_prod",
    )
    assert profile.profile_type is None and profile.configuration == {}


def test_newer_profile_shape_reads_through_the_common_fields():
    profile = Profile.from_api(PROFILE_V2)
    assert profile.shape == "v2"
    assert profile.kind == "rest_api"
    assert profile.timeout_seconds == 30
    assert profile.last_checked == datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
    assert profile.last_check_status == "success"
    assert profile.health_status["connectivity"] == "healthy"
    assert profile.host is None and profile.test_status is None


def test_profile_list_items_of_both_shapes_are_told_apart():
    older = {"id": 2, "name": "staging-api", "connection_type": "api", "host": "h", "port": 443,
             "endpoint": "/api/v1/inventory", "is_active": True}  # fmt: skip
    newer = {"id": 2, "name": "Legacy", "profile_type": "database", "status": "inactive",
             "last_sync": "2024-01-10T14:22:00Z", "organization": "Legacy Systems"}  # fmt: skip
    assert (
        Profile.from_api(older).shape == "v1"
        and Profile.from_api(older).endpoint == "/api/v1/inventory"
    )
    assert (
        Profile.from_api(newer).shape == "v2"
        and Profile.from_api(newer).organization == "Legacy Systems"
    )


def test_profile_configuration_keeps_credentials_read_only_and_out_of_repr():
    profile = Profile.from_api(PROFILE_V2)
    assert profile.configuration["api_key"] == "wh-live-key-123"  # the profiles page masks it
    assert "wh-live-key-123" not in repr(profile) and "wh-live-key-123" not in str(profile)
    assert isinstance(profile.configuration, MappingProxyType)
    assert profile.configuration["filters"]["exclude_categories"] == ("obsolete",)
    with pytest.raises(TypeError):
        profile.configuration["api_key"] = "other"


def test_profile_top_level_credentials_are_dropped():
    profile = Profile.from_api({**PROFILE_V1, "password": "db-pass", "region": "eu"})
    assert dict(profile.extra) == {"region": "eu"}


@pytest.mark.parametrize(
    ("key", "secret"),
    [("password", True), ("API_KEY", True), ("client_secret", True), ("auth_token", True),
     ("username", False), ("endpoint_url", False), ("sync_frequency", False)],
)  # fmt: skip
def test_credential_like_keys(key, secret):
    assert looks_secret(key) is secret


# --- device operations and headless operations ---------------------------------


def test_device_operation_newer_shape_with_history():
    operation = DeviceOperation.from_api(
        {
            "id": 123,
            "device_name": "Network Switch - NS-001",
            "operational_status": "maintenance",
            "configuration": {"network_profile": "production"},
            "next_maintenance": "2024-04-15T09:00:00Z",
            "last_updated": "2024-01-15T14:30:00Z",
            "operational_history": [
                {
                    "timestamp": "2024-01-15T14:30:00Z",
                    "action": "status_change",
                    "from_status": "active",
                    "to_status": "maintenance",
                    "performed_by": "admin@company.com",
                }  # fmt: skip
            ],
        }
    )
    assert operation.operational_status == "maintenance"
    assert operation.next_maintenance == datetime(2024, 4, 15, 9, tzinfo=UTC)
    (entry,) = operation.operational_history
    assert (entry.from_status, entry.to_status) == ("active", "maintenance")
    assert entry.timestamp == datetime(2024, 1, 15, 14, 30, tzinfo=UTC)


def test_device_operation_older_shape():
    operation = DeviceOperation.from_api(
        {
            "id": 123,
            "operation_type": "maintenance",
            "status": "completed",
            "device_id": "DEV-001",
            "started_at": "2024-01-15T10:00:00Z",
            "completed_at": "2024-01-15T11:30:00Z",
        }  # fmt: skip
    )
    assert operation.status == "completed" and operation.device_id == "DEV-001"
    assert operation.completed_at - operation.started_at == timedelta(minutes=90)
    assert operation.operational_history == () and operation.operational_status is None


def test_headless_operation_with_device_status():
    operation = HeadlessOperation.from_api(
        {
            "id": "txn_12345",
            "device_serial": "SN123456789",
            "operation_type": "firmware_update",
            "status": "scheduled",
            "scheduled_time": "2024-01-15T10:30:00Z",
            "created_at": "2024-01-14T14:22:00Z",
            "device_status": {
                "online": True,
                "last_seen": "2024-01-15T09:45:00Z",
                "firmware_version": "1.2.3",
            },
        }  # fmt: skip
    )
    assert operation.id == "txn_12345"
    assert operation.scheduled_time == datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
    assert operation.device_status.online is True
    assert operation.device_status.firmware_version == "1.2.3"


def test_created_headless_operation_has_parameters_and_no_device_status():
    operation = HeadlessOperation.from_api(
        {
            "id": "txn_67890",
            "status": "scheduled",
            "scheduled_time": "2024-01-16T02:00:00+01:00",
            "parameters": {"config_profile": "production_v2", "restart_required": True},
        }  # fmt: skip
    )
    assert operation.device_status is None
    assert operation.parameters["restart_required"] is True
    assert operation.scheduled_time.tzinfo == timezone(timedelta(hours=1))


@pytest.mark.parametrize("raw", [PROFILE_V1, PROFILE_V2, {"id": 9, "name": "bare"}])
def test_profile_cache_dict_is_json_and_round_trips_exactly(raw):
    profile = Profile.from_api({**raw, "region": "eu"})
    again = Profile.from_cache(json.loads(json.dumps(profile.to_cache())))
    assert again == profile
    assert isinstance(again.configuration, MappingProxyType)
