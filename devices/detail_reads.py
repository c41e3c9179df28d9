"""One device, read for the detail pages and the services that act on it.

The cache (the Redis read model) answers first. A device that is missing from
it, or cached in the list shape only (the pollers read lists, which lack
`username`, `update_frequency`, `last_change`...), is fetched once through the
single-flight refresh, which also puts the detail record into the cache.

Tenancy is checked here, on the organization the device really has: a device
outside the user's organizations, or unknown upstream, is a 404.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from django.http import Http404

from controlapi import errors
from controlapi.records import Device
from dashboard import tenancy
from devices import configured
from devices.polling import RefreshTimeout, refresh_device

log = logging.getLogger(__name__)


class DeviceUnavailable(Exception):
    """The device is in no cache and the control API could not be read: say so in words."""


@dataclass(frozen=True)
class DeviceRead:
    device: Device
    as_of: datetime | None  # when this state was read from the upstream
    warning: str = ""  # e.g. "showing the cached copy: the control API did not answer"


def has_detail_fields(device: Device) -> bool:
    return device.update_frequency is not None or device.last_change is not None


def cached(device_id: int):
    """The cached device (`CachedDevice`) or None; a Redis outage reads as a miss."""
    try:
        return configured.read_model().get_device(device_id)
    except redis.RedisError as error:
        log.warning("read model unavailable for device %s: %s", device_id, error)
        return None


def fetch(device_id: int, *, update_status: bool = False) -> Device:
    """A fresh read from the upstream, shared with concurrent readers of the same device.

    Raises the upstream's ControlAPIError, or RefreshTimeout.
    """
    try:
        model = configured.read_model()
        return refresh_device(
            model=model,
            api_factory=configured.degraded_upstream(),
            device_id=device_id,
            update_status=update_status,
            wait=6.0,
        )
    except redis.RedisError:
        # Without Redis there is nothing to share: read it directly.
        with configured.degraded_upstream()() as api:
            return api.get_device(device_id, update_status=update_status)


def device_for_user(*, user, device_id: int, action: str = tenancy.VIEW, detail: bool = True):
    """The device as a DeviceRead, or Http404 when it is unknown or outside the user's scope.

    `detail`: make sure the detail-only fields are there (one upstream read if not).
    """
    entry = cached(device_id)
    if entry is not None:
        tenancy.ensure_allowed(user, action, entry.device.organization_id)
        if not detail or has_detail_fields(entry.device):
            return DeviceRead(entry.device, entry.as_of)
    try:
        device = fetch(device_id)
    except (errors.NotFound, errors.Forbidden):
        # Unknown upstream, or outside the dashboard's own token: the same 404 for everyone.
        raise Http404("No such device.") from None
    except (errors.ControlAPIError, RefreshTimeout) as error:
        if entry is None:
            raise DeviceUnavailable(str(error)) from error
        return DeviceRead(
            entry.device,
            entry.as_of,
            warning=f"Showing the cached copy: the control API could not be read ({error}).",
        )
    tenancy.ensure_allowed(user, action, device.organization_id)
    return DeviceRead(device, datetime.now(UTC))


def forget(device_id: int) -> None:
    """Drop a device the upstream no longer has from the cache."""
    try:
        configured.read_model().remove_devices([device_id])
    except redis.RedisError as error:
        log.warning("could not drop device %s from the cache: %s", device_id, error)
