"""A page of the device list read straight into cache rows, for the full poll.

Module-level and needing no client, so that any worker storing a page reads bodies with
the client's own rules. A well-formed body decodes straight into Device records (the
record's own msgspec type); any other body is decoded as JSON and each record goes
through `Device.from_api`. Either way a record the dashboard cannot read or store is
set aside, named in the page's `set_aside`, so that one bad record never fails a poll.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping
from typing import Any

import msgspec
import orjson

from controlapi import errors
from controlapi.device_record import (
    CacheRow,
    Device,
    UnstorableDevice,
    decode_other,
    encode_device,
    storable_row,
)
from controlapi.pages import Page, page_from_payload

log = logging.getLogger("controlapi")

DEVICES = "/inventory_device/"


class _ListedPage(msgspec.Struct):
    results: list[Device]
    count: Any = None
    next: Any = None
    previous: Any = None


_decode_listed_page = msgspec.json.Decoder(_ListedPage, dec_hook=decode_other).decode


def read_device_cache_page(body: bytes) -> Page[CacheRow]:
    """A body of the device list (`ControlAPI.read_device_page`) as a page of CacheRows.
    Raises BadResponse when the body is not a list of devices.

    ASSUMPTION: the upstream sends JSON in UTF-8 (as JSON requires); a body in another
    encoding is read by `json.loads`, which finds UTF-16 and UTF-32 by itself.
    """
    listed = _listed_rows(body)
    if listed is not None:
        return page_from_payload(listed, _as_read)
    try:
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            payload = json.loads(body)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise errors.unreadable("GET", DEVICES, None, "not JSON") from exc
    set_aside: list[UnstorableDevice] = []
    try:
        page = page_from_payload(payload, lambda raw: _cache_row(raw, set_aside))
    except (ValueError, TypeError, AttributeError) as exc:
        raise errors.unreadable("GET", DEVICES, None, str(exc)) from exc
    if not set_aside:
        return page
    kept = tuple(item for item in page.items if item is not None)
    return dataclasses.replace(page, items=tuple(kept), set_aside=tuple(set_aside))


def _listed_rows(body: bytes) -> dict[str, Any] | None:
    """The body decoded straight into records, or None when it is not the well-formed
    case: a value the record's type does not take as it is, a field the record does
    not name (kept in `extra` or dropped as a credential by the normaliser)."""
    try:
        answer = _decode_listed_page(body)
    except msgspec.DecodeError as exc:  # ValidationError included
        _note_general_path(str(exc))
        return None
    rows = []
    for device in answer.results:
        if device.extra:  # an upstream field named "extra" is the normaliser's to keep
            _note_general_path("a device has a field named `extra`")
            return None
        rows.append(CacheRow(device, encode_device(device)))
    return {"count": answer.count, "next": answer.next, "previous": answer.previous,
            "results": rows}  # fmt: skip


def _as_read(item: CacheRow) -> CacheRow:
    return item


def _cache_row(raw: Mapping, set_aside: list[UnstorableDevice]) -> CacheRow | None:
    """A device's CacheRow, or None with the record added to `set_aside` when it cannot
    be read (no id) or stored (a value beyond what the store holds)."""
    try:
        device = Device.from_api(raw)
        return CacheRow(device, storable_row(device))
    except UnstorableDevice as record:
        set_aside.append(record)
    except ValueError as error:  # not an object, or no id
        set_aside.append(UnstorableDevice(None, f"a record the dashboard cannot read ({error})"))
    return None


_general_path_noted = False


def _note_general_path(reason: str) -> None:
    """Say once per process, at INFO, why a device-list body was read record by record:
    an upstream whose records carry a field the contract does not name sends every
    page that way, at several times the CPU, which operators should hear of."""
    global _general_path_noted
    if _general_path_noted:
        log.debug("device list read record by record: %s", reason)
        return
    _general_path_noted = True
    log.info(
        "device list read by the general path, record by record (said once per process;"
        " later pages at DEBUG): %s",
        reason,
    )
