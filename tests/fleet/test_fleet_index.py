"""The index entry of a device: the same whether read from its record or its cache dict."""

import orjson

from controlapi import ControlAPI
from controlapi.device_pages import read_device_cache_page
from controlapi.records import Device
from fleet.store.indexes import index_entry, index_entry_from_cache
from tests.fixtures.simulator import ALL_TOKEN


def test_a_cache_row_a_stored_row_and_a_record_give_the_same_index_entry(simulator, still_fleet):
    # The full poll indexes the client's compiled records, a stored row is indexed
    # again when it changes or goes, the in-place writes index records: a rule that
    # drifted between them would file a device differently after a refresh.
    with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
        query = {"limit": 100, "offset": 0, "pending": True}
        records = api.list_devices(**query).items
        rows = api.read_device_page(read_device_cache_page, **query).items
    stored = [orjson.loads(row.json) for row in rows]

    assert any(d.pending_settings for d in records)
    assert [d.id for d in records] == [row["id"] for row in stored]
    by_record = [index_entry(d) for d in records]
    assert [index_entry(row.device) for row in rows] == by_record
    assert [index_entry_from_cache(row) for row in stored] == by_record
    # Stored rows read back (Device.from_cache) index the same way too.
    assert [index_entry(Device.from_cache(row)) for row in stored] == by_record


def test_the_index_entry_reads_every_indexed_field_of_a_cache_dict():
    row = Device.from_api(
        {
            "id": 7,
            "name": "Lisbon\tCore",
            "serial_number": "SN-1",
            "customer_id": "C9",
            "location_name": "Alfama",
            "address": "Rua 1",
            "status": "Up",
            "organization_id": 3,
            "type": 12,
            "status_change": "2024-05-01T10:00:00Z",
            "last_connection": None,
            "pending_settings": "reboot_scheduled:2024-05-02",
        }
    ).to_cache()

    entry = index_entry_from_cache(row)

    assert entry.up and (entry.organization_id, entry.type_id) == (3, 12)
    assert entry.pending == ("reboot_scheduled",)
    assert entry.name_key == ("lisbon\tcore", 7)
    assert entry.search_text == "\x1f".join(["lisbon core", "sn-1", "c9", "alfama", "rua 1"])
    assert entry.serial_number == "SN-1"
    assert entry.status_change == 1714557600.0 and entry.last_connection == -1.0
    assert entry == index_entry(Device.from_cache(row))
