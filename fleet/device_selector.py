"""Which devices a notification rule or a maintenance window is about.

One selector for both, so that a rule and a window over "the same devices" agree.
Every part that is set must match (they narrow each other); a selector with nothing
set matches every device (callers bound it by organization and tenancy).

- `organization_id`: the device's organization.
- `type_id`: the device's type. ASSUMPTION: the contract names a device's `type` its
  "device type/profile id", so the devices of one connection profile are the devices
  of that type; "type" and "connection profile" select the same devices.
- `pattern`: the name or the serial number, case-insensitive; with `*` or `?` it is a
  shell-style wildcard over the whole value (`CPE-*`), otherwise a substring, as the
  devices page's search box matches.
- `device_ids`: these devices only.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

WILDCARDS = frozenset("*?")


@dataclass(frozen=True)
class DeviceSelector:
    organization_id: int | None = None
    type_id: int | None = None
    pattern: str = ""
    device_ids: frozenset[int] = field(default_factory=frozenset)

    def matches(self, device: Any) -> bool:
        """Whether a device (anything with id, organization_id, type, name and
        serial_number, as `controlapi.records.Device`) is one of these."""
        if self.device_ids and device.id not in self.device_ids:
            return False
        if self.organization_id is not None and device.organization_id != self.organization_id:
            return False
        if self.type_id is not None and device.type != self.type_id:
            return False
        if self.pattern:
            return self._matches_text(device.name) or self._matches_text(device.serial_number)
        return True

    @cached_property  # a window or rule is tested against many devices: folded once
    def _needle(self) -> tuple[str, bool]:
        needle = self.pattern.strip().casefold()
        return needle, bool(WILDCARDS & set(needle))

    def _matches_text(self, value: str | None) -> bool:
        text = (value or "").casefold()
        needle, wildcard = self._needle
        if wildcard:
            return fnmatch.fnmatchcase(text, needle)
        return needle in text

    def describe(self) -> str:
        """The selector in words, for lists and messages (organization and type by id;
        pages that know their names say them instead)."""
        parts = []
        if self.device_ids:
            ids = sorted(self.device_ids)
            shown = ", ".join(str(i) for i in ids[:5])
            more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
            parts.append(f"device{'s' if len(ids) > 1 else ''} {shown}{more}")
        if self.organization_id is not None:
            parts.append(f"organization {self.organization_id}")
        if self.type_id is not None:
            parts.append(f"type {self.type_id}")
        if self.pattern:
            parts.append(f'name or serial "{self.pattern}"')
        return ", ".join(parts) or "every device"

    def to_dict(self) -> dict:
        return {
            "organization_id": self.organization_id,
            "type_id": self.type_id,
            "pattern": self.pattern,
            "device_ids": sorted(self.device_ids),
        }

    @classmethod
    def of(cls, row: Any) -> DeviceSelector:
        """The selector a rule or a window keeps in its fields of these names."""
        return cls(
            organization_id=row.organization_id,
            type_id=row.type_id,
            pattern=row.pattern or "",
            device_ids=frozenset(int(i) for i in row.device_ids or ()),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeviceSelector:
        return cls(
            organization_id=data.get("organization_id"),
            type_id=data.get("type_id"),
            pattern=data.get("pattern") or "",
            device_ids=frozenset(int(i) for i in data.get("device_ids") or ()),
        )
