"""Micro-benchmark: the client's CPU per device, stage by stage.

Fetches the device list of a simulated fleet once over HTTP (pages of 100,
`update_status=true`, as the poller asks), stops the simulator, then times each
stage on the stored bodies, best of `--rounds` passes, in µs per device:

- decode: a page body to Python data (orjson; the standard json module too, for
  comparison);
- from_api: Device.from_api (the normaliser) on every decoded record;
- to_cache: each device to its stored row (encode_device);
- from_cache: each stored row back to its device (decode_device);
- page_general / page_compiled: a whole body to its stored rows, as a full poll
  reads it: record by record (decode + Device.from_api + storable_row), and
  straight into records (read_device_cache_page, which decodes the body into the
  record type).

    .venv/bin/python bench/records.py [--sizes 10000] [--rounds 5]
"""

import json
import sys
import time

import orjson
import requests
from fleet_cache_setup import TOKEN, report, simulator, sizes

from controlapi.device_pages import read_device_cache_page
from controlapi.records import Device, decode_device, encode_device, storable_row

PAGE = 100


def fetch_bodies(devices: int) -> list[bytes]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    with simulator(devices) as sim, requests.Session() as session:
        return [
            session.get(
                f"{sim.api_url}/inventory_device/",
                params={"limit": PAGE, "offset": offset, "update_status": "true"},
                headers=headers,
                timeout=60,
            ).content
            for offset in range(0, devices, PAGE)
        ]


def best(devices: int, rounds: int, work) -> tuple[float, object]:
    """The fastest of `rounds` passes of work(), in µs per device, and its result."""
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times) / devices * 1e6, result


def measure(devices: int, rounds: int) -> None:
    bodies = fetch_bodies(devices)
    raws = [raw for body in bodies for raw in orjson.loads(body)["results"]]
    assert len(raws) == devices, len(raws)

    stdlib, _ = best(devices, rounds, lambda: [json.loads(body) for body in bodies])
    fast, _ = best(devices, rounds, lambda: [orjson.loads(body) for body in bodies])
    from_api, items = best(devices, rounds, lambda: [Device.from_api(raw) for raw in raws])
    to_cache, rows = best(devices, rounds, lambda: [encode_device(d) for d in items])
    from_cache, again = best(devices, rounds, lambda: [decode_device(r) for r in rows])
    assert again == items, "a stored row must read back as its device"
    general, _ = best(
        devices,
        rounds,
        lambda: [
            [storable_row(Device.from_api(r)) for r in orjson.loads(b)["results"]] for b in bodies
        ],
    )
    compiled, pages = best(devices, rounds, lambda: [read_device_cache_page(b) for b in bodies])
    assert [row.device for page in pages for row in page.items] == items

    report(f"records_decode_json_{devices}", stdlib, "us/device")
    report(f"records_decode_orjson_{devices}", fast, "us/device")
    report(f"records_from_api_{devices}", from_api, "us/device")
    report(f"records_to_cache_{devices}", to_cache, "us/device")
    report(f"records_from_cache_{devices}", from_cache, "us/device")
    report(f"records_page_general_{devices}", general, "us/device")
    report(f"records_page_compiled_{devices}", compiled, "us/device")


def main(argv: list[str]) -> None:
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 5
    for devices in sizes(argv, default="10000"):
        measure(devices, rounds)


if __name__ == "__main__":
    main(sys.argv[1:])
