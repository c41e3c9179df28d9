"""The device list filter of the simulated API: the state's filter cache and the fleet's
life both use it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DeviceQuery:
    """A device list filter, already validated; also the filter cache key."""

    status: bool | None = None
    type: int | None = None
    organization: int | None = None
    changed_from: float | None = None
    scope: frozenset[int] | None = None  # the token's organizations, None for all
