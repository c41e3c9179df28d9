"""Device ids typed into a form (a maintenance window's, a notification rule's): whether
they are all devices of the form's organization, by the fleet cache."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import redis

from devices import configured, list_selectors

log = logging.getLogger(__name__)


def problem(organization_id: int, device_ids: Iterable[int]) -> str:
    """Why these device ids cannot be the devices of this organization's form ("" when they
    can). Another organization's device and an unknown id get the same words."""
    ids = sorted(set(device_ids))
    if not ids:
        return ""
    try:
        model = configured.read_model()
        if model.snapshot_info() is None:
            return (
                "The device ids could not be checked: the fleet cache has not been filled "
                "yet (the first poll runs at start-up). Nothing was saved; try again in a minute."
            )
        outside = []
        for device_id in ids:
            cached = model.get_device(device_id)
            if cached is None or cached.device.organization_id != organization_id:
                outside.append(device_id)
    except redis.RedisError as error:
        log.warning("fleet cache unreachable, device ids not checked: %s", error)
        return (
            "The device ids could not be checked: the fleet cache (Redis) is unreachable. "
            "Nothing was saved; try again when it answers."
        )
    if not outside:
        return ""
    listed = ", ".join(str(i) for i in outside[:10]) + (" …" if len(outside) > 10 else "")
    org_name = list_selectors.organization_names([organization_id])[organization_id]
    return (
        f"Not {'a device' if len(outside) == 1 else 'devices'} of {org_name}: {listed} "
        "(unknown ids, or another organization's)."
    )
