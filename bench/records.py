"""Micro-benchmark: the client's CPU per device, stage by stage.

Fetches the device list of a simulated fleet once over HTTP (pages of 100,
`update_status=true`, as the poller asks), stops the simulator, then times each
stage on the stored bodies, best of `--rounds` passes, in µs per device:

- decode: a page body to Python data (orjson, as the client does; the standard
  json module too, for comparison: what requests' Response.json() used);
- from_api: Device.from_api on every decoded record;
- to_cache: Device.to_cache on every device;
- cache_from_api: records.device_cache_from_api, the cache dict straight from
  the upstream record (what from_api + to_cache give, in one step);
- from_cache: Device.from_cache on every cache dict read back from its JSON;
- page_general / page_compiled: a whole body to its stored rows (cache JSON), as a
  page writer reads it: decode + device_cache_from_api + orjson, and
  records.device_list_from_json (the compiled decoder that
  client.read_device_cache_page tries first).

    .venv/bin/python bench/records.py [--sizes 10000] [--rounds 5]
"""

import json
import sys
import time

import orjson
import requests
from fleet_cache_setup import TOKEN, report, simulator, sizes

from controlapi import records
from controlapi.records import Device

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
    to_cache, dicts = best(devices, rounds, lambda: [d.to_cache() for d in items])
    rows = [orjson.loads(orjson.dumps(data)) for data in dicts]
    from_cache, again = best(devices, rounds, lambda: [Device.from_cache(r) for r in rows])
    assert again == items, "from_cache(to_cache(d)) must give d back"

    report(f"records_decode_json_{devices}", stdlib, "us/device")
    report(f"records_decode_orjson_{devices}", fast, "us/device")
    report(f"records_from_api_{devices}", from_api, "us/device")
    report(f"records_to_cache_{devices}", to_cache, "us/device")
    # getattr: the same script also measures a checkout from before this function.
    direct = getattr(records, "device_cache_from_api", None)
    if direct is not None:
        cache_from_api, straight = best(devices, rounds, lambda: [direct(r) for r in raws])
        assert straight == dicts, "device_cache_from_api must equal from_api + to_cache"
        report(f"records_cache_from_api_{devices}", cache_from_api, "us/device")
    report(f"records_from_cache_{devices}", from_cache, "us/device")
    compiled = getattr(records, "device_list_from_json", None)
    if compiled is not None:
        # Both to the stored row: the cache dict and its JSON.
        general, _ = best(
            devices,
            rounds,
            lambda: [[orjson.dumps(direct(r)) for r in orjson.loads(b)["results"]] for b in bodies],
        )
        by_compiler, listed = best(devices, rounds, lambda: [compiled(b) for b in bodies])
        stored = [Device.from_cache(orjson.loads(row.json)) for p in listed for row in p["results"]]
        assert stored == items, "the compiled rows must read back as the same devices"
        report(f"records_page_general_{devices}", general, "us/device")
        report(f"records_page_compiled_{devices}", by_compiler, "us/device")


def main(argv: list[str]) -> None:
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 5
    for devices in sizes(argv, default="10000"):
        measure(devices, rounds)


if __name__ == "__main__":
    main(sys.argv[1:])
