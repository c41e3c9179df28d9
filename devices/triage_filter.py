"""The triage board's URL query: which view (grouped by cause, or one list) and which devices.

A link can narrow the board to some devices, so that a grouped notification ("312 devices
went Down") points at "these devices" (`/triage/?devices=1,2,3`), or at a shared fact
(`/triage/?organization=5&type=7`). Parameters, all optional, narrowing each other:

- `view`: `grouped` (the default) or `list` (one flat list, most recent first).
- `organization`: an organization id; one outside the user's organizations is left out
  (the board shows the user's own) and said why, in the same words whether it exists or
  not, never by its name, as the device list does.
- `type`: a device type id (the connection profile, see fleet.device_selector).
- `devices`: device ids separated by commas (at most MAX_DEVICE_IDS); ids the user may not
  see are simply not shown.

A bad value is ignored and said in words; parsing never raises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from accounts import tenancy
from fleet.device_selector import DeviceSelector

GROUPED = "grouped"
LIST = "list"
VIEWS = (GROUPED, LIST)
MAX_DEVICE_IDS = 5000


@dataclass(frozen=True)
class TriageQuery:
    view: str = GROUPED
    selector: DeviceSelector | None = None  # None: every device the user may see
    errors: tuple[str, ...] = ()
    filter_params: dict[str, str] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, str]:
        """The query as it goes back into links and forms (the default view left out)."""
        return {**({"view": self.view} if self.view != GROUPED else {}), **self.filter_params}

    def with_view(self, view: str) -> dict[str, str]:
        return {**({"view": view} if view != GROUPED else {}), **self.filter_params}


def parse(
    params: Mapping[str, str],
    *,
    scope: tenancy.OrgScope,
    outside: Callable[[int], str] = tenancy.not_yours_message,
) -> TriageQuery:
    errors: list[str] = []
    kept: dict[str, str] = {}
    view = params.get("view", GROUPED)
    if view not in VIEWS:
        errors.append(f"“{view}” is not a view of the board; it shows the groups.")
        view = GROUPED
    organization = _whole_number(params, "organization", "an organization id", errors)
    if organization is not None and not scope.allows(organization):
        errors.append(outside(organization))
        organization = None
    if organization is not None:
        kept["organization"] = str(organization)
    type_id = _whole_number(params, "type", "a device type id", errors)
    if type_id is not None:
        kept["type"] = str(type_id)
    device_ids = _device_ids(params.get("devices", ""), errors)
    if device_ids:
        kept["devices"] = ",".join(str(i) for i in sorted(device_ids))
    selector = None
    if kept:
        selector = DeviceSelector(
            organization_id=organization, type_id=type_id, device_ids=frozenset(device_ids)
        )
    return TriageQuery(view=view, selector=selector, errors=tuple(errors), filter_params=kept)


def _whole_number(params, name: str, what: str, errors: list[str]) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        errors.append(f"{name.capitalize()} “{raw[:40]}” is not {what} (a whole number); ignored.")
        return None
    return int(raw)


def _device_ids(raw: str, errors: list[str]) -> set[int]:
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    numbers = [p for p in parts if p.isascii() and p.isdigit() and len(p) <= 18]
    good = {int(p) for p in numbers}
    if len(numbers) < len(parts):
        errors.append("Some of the devices asked for are not device ids (whole numbers); ignored.")
    if len(good) > MAX_DEVICE_IDS:
        errors.append(f"At most {MAX_DEVICE_IDS} devices can be asked for; the first are shown.")
        good = set(sorted(good)[:MAX_DEVICE_IDS])
    return good
