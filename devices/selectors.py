"""Reads of one device for pages and services: its cached copy (fresh enough, or read
again from the upstream once for all concurrent readers), a fresh read, its firmware
suggestions; and the connection profiles' snapshot.

Every answer says how old its data is (`as_of`) and whether it came the degraded way
(`degraded`: Redis unreachable, read from the upstream directly). When the upstream
fails as well, the answer says so in `error`. Nothing here raises because Redis or the
upstream misbehaved; a view never answers 500 for them. A device that does not exist
or is outside the scope is None or `DeviceNotFound`: the view decides the answer (404).
The fleet's lists are in list_selectors, the snapshot's freshness in fleet_health, the
history in history_selectors.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import msgspec
import redis

from accounts import tenancy
from controlapi import errors
from controlapi.records import DETAIL_ONLY_FIELDS, Device, Profile, has_detail_fields
from devices import configured
from fleet import freshness, polling
from fleet.store.lookups import FirmwareSeen

log = logging.getLogger(__name__)

# Seconds a detail page waits for a fetch of the same device already in flight
# (a "refresh now" with update_status can be slow); then it shows the cached copy.
PAGE_REFRESH_WAIT = 3.0


def _now() -> datetime:
    return datetime.now(UTC)


def in_words(prefix: str, error: Exception) -> str:
    """`prefix` followed by the upstream error's sentence."""
    return f"{prefix} {errors.as_sentence(error)}"


@dataclass(frozen=True, slots=True)
class DeviceDetail:
    device: Device | None
    as_of: datetime | None  # when this state was read from the upstream
    degraded: bool = False
    error: str | None = None  # set when the device could not be read, or read fresh
    stale: bool = False  # from the cache although older than wanted (upstream failed)
    reason: str | None = None  # the upstream's own words when that read failed
    # When the detail-only fields shown were read, if they come from the device's last
    # detail record kept (`kept_detail`) rather than with the rest of this copy.
    detail_kept: datetime | None = None

    @property
    def warning(self) -> str:
        """What a page says above a cached copy shown because a fresh read failed."""
        return f"{self.error} Showing the cached copy." if self.stale and self.error else ""

    @property
    def detail_current(self) -> bool:
        """The detail-only fields came with this copy (not kept from an earlier read)."""
        return (
            self.device is not None and self.detail_kept is None and has_detail_fields(self.device)
        )


class DeviceNotFound(LookupError):
    """The device does not exist or is outside the user's scope (a view answers 404)."""


class DeviceUnavailable(Exception):
    """The device is in no cache and the control API could not be read: say so in words."""


# --- one device ------------------------------------------------------------------


# Any age: `max_age` for reads that take the cached copy however old it is.
ANY_AGE = timedelta.max
# Seconds a service waits for a fetch of the same device already in flight.
SERVICE_REFRESH_WAIT = 6.0


def device_detail(
    *,
    device_id: int,
    org_ids: frozenset[int] | None,
    max_age: timedelta | None = None,
    detail: bool = False,
    kept_detail: bool = False,
) -> DeviceDetail | None:
    """One device, or None when it does not exist, is outside `org_ids` or outside
    the dashboard's own token (a 404, the same for all three).

    From the cache when its data is at most `max_age` old (default: the stale
    threshold of the banner; `ANY_AGE`: however old) and, with `detail`, holds
    the detail-only fields; otherwise fetched (without update_status, with the
    pending entries' values) once for all concurrent readers and written back to
    the cache. If that fetch fails, the cached copy is answered `stale` with the
    reason in `error`; with no cached copy, `device` is None and `error` says why.

    With `kept_detail`, a copy answered without the detail-only fields (the pollers
    read lists, which lack them) takes them from the device's last detail record kept
    (`ReadModel.kept_detail`), if that was read while the device was in the same
    organization; `detail_kept` then says when it was read.
    """
    if max_age is None:
        max_age = timedelta(seconds=configured.poll_interval() * freshness.STALE_AFTER_INTERVALS)
    try:
        model = configured.read_model()
        cached = model.get_device(device_id)
    except redis.RedisError as error:
        log.warning("fleet cache unreachable, reading device %s upstream: %s", device_id, error)
        return _upstream_detail(device_id, org_ids)
    if cached is not None and not _allowed(cached.device, org_ids):
        # Asked upstream as a device the cache lacks is: the two answer alike (no tenant
        # learns which ids exist elsewhere), and a move into the user's organizations shows.
        cached = None
    if (
        cached is not None
        and _now() - cached.as_of <= max_age
        and (not detail or has_detail_fields(cached.device))
    ):
        answer = DeviceDetail(cached.device, cached.as_of)
        return _with_kept_detail(model, answer) if kept_detail else answer
    try:
        device = polling.refresh_device(
            model=model,
            api_factory=configured.degraded_upstream(),
            device_id=device_id,
            update_status=False,
            # A page waits this long at most for another caller's fetch of the device.
            wait=PAGE_REFRESH_WAIT,
        )
    except (errors.NotFound, errors.Forbidden):
        return None
    except (errors.ControlAPIError, polling.RefreshTimeout, redis.RedisError) as error:
        message = in_words("Could not read the device from the control API:", error)
        if cached is not None:
            answer = DeviceDetail(
                cached.device, cached.as_of, error=message, stale=True, reason=str(error)
            )
            return _with_kept_detail(model, answer) if kept_detail else answer
        return DeviceDetail(None, None, error=message, reason=str(error))
    if not _allowed(device, org_ids):
        return None
    return DeviceDetail(device, _now())


def _with_kept_detail(model, answer: DeviceDetail) -> DeviceDetail:
    """`answer` with the detail-only fields of the device's kept detail record, when
    its copy lacks them. The kept record must be of the same organization as the
    copy, which the caller has already checked against the user's scope."""
    device = answer.device
    if has_detail_fields(device):
        return answer
    try:
        kept = model.kept_detail(device.id)
    except redis.RedisError as error:
        log.warning("could not read the kept detail of device %s: %s", device.id, error)
        return answer
    if (
        kept is None
        or kept.device.organization_id != device.organization_id
        or not has_detail_fields(kept.device)
    ):
        return answer
    fields = {name: getattr(kept.device, name) for name in DETAIL_ONLY_FIELDS}
    return replace(answer, device=msgspec.structs.replace(device, **fields), detail_kept=kept.as_of)


def device_for_user(
    *,
    user,
    device_id: int,
    action: str = tenancy.VIEW,
    detail: bool = True,
    kept_detail: bool = False,
) -> DeviceDetail:
    """The device for a page or a service acting on it, within the user's
    organizations for `action` (checked on the organization the device really has).

    The cached copy however old (pages show its age and offer a refresh); with
    `detail`, one upstream read if the cached copy lacks the detail-only fields; with
    `kept_detail`, those of the last detail record read when the copy lacks them.
    Raises DeviceNotFound when the device is unknown or outside the scope, and
    DeviceUnavailable when it is in no cache and the upstream could not be read.
    """
    scope = tenancy.scope_for(user, action)
    read = device_detail(
        device_id=device_id,
        org_ids=scope.org_ids_or_none(),
        max_age=ANY_AGE,
        detail=detail,
        kept_detail=kept_detail,
    )
    if read is None:
        raise DeviceNotFound("No such device.")
    if read.device is None:
        raise DeviceUnavailable(read.error)
    return read


def fetch_device(device_id: int, *, update_status: bool = False) -> Device:
    """A fresh read from the upstream (pending values included) for a service,
    shared with concurrent readers of the same device and written to the cache.

    Raises the upstream's ControlAPIError, or polling.RefreshTimeout.
    """
    try:
        return polling.refresh_device(
            model=configured.read_model(),
            api_factory=configured.degraded_upstream(),
            device_id=device_id,
            update_status=update_status,
            wait=SERVICE_REFRESH_WAIT,
        )
    except redis.RedisError:
        # Without Redis there is nothing to share: read it directly.
        with configured.degraded_upstream()() as api:
            return api.get_device(device_id, pending=True, update_status=update_status)


def confirm_device(*, user, device_id: int, action: str = tenancy.VIEW) -> Device:
    """The device as the control API has it now (`fetch_device`, the edit form's read), for
    a service about to act on it: the cache may not have seen a move to another
    organization yet. Raises DeviceNotFound when the upstream no longer has it or has it
    outside the user's organizations for `action` (a 404, as for an unknown device), and
    the upstream's ControlAPIError or polling.RefreshTimeout when it cannot be read."""
    try:
        device = fetch_device(device_id)
    except (errors.NotFound, errors.Forbidden):
        raise DeviceNotFound("No such device.") from None
    if not tenancy.scope_for(user, action).allows(device.organization_id):
        raise DeviceNotFound("No such device.")
    return device


def firmware_images(*, device: Device, org_ids: frozenset[int] | None) -> list[FirmwareSeen]:
    """Firmware images to suggest for `device`: those its type's devices in `org_ids` report
    in the cache, and its own. Empty when nothing is known; any image id may still be typed."""
    seen: list[FirmwareSeen] = []
    if device.type is not None:
        try:
            seen = configured.read_model().firmware_images(device.type, org_ids)
        except redis.RedisError as error:
            log.warning("fleet cache unreachable, no firmware images: %s", error)
    own = device.firmware_image
    if own is not None and all(s.image != own for s in seen):
        version = None if device.firmware_image_is_pending else device.software_version
        seen = sorted([*seen, FirmwareSeen(own, version, 1)], reverse=True)
    return seen


def forget_device(device_id: int) -> None:
    """Drop a device the upstream no longer has from the cache."""
    try:
        configured.read_model().remove_devices([device_id])
    except redis.RedisError as error:
        log.warning("could not drop device %s from the cache: %s", device_id, error)


def _upstream_detail(device_id: int, org_ids: frozenset[int] | None) -> DeviceDetail | None:
    try:
        with configured.degraded_upstream()() as api:
            device = api.get_device(device_id, pending=True)
    except (errors.NotFound, errors.Forbidden):
        return None
    except errors.ControlAPIError as error:
        message = in_words(
            "The fleet cache is unavailable and the control API could not be read either:",
            error,
        )
        return DeviceDetail(None, None, degraded=True, error=message)
    if not _allowed(device, org_ids):
        return None
    return DeviceDetail(device, _now(), degraded=True)


def _allowed(device: Device, org_ids: frozenset[int] | None) -> bool:
    # Same rule as tenancy.OrgScope.allows: a device of no organization is for
    # all-organization staff only.
    return org_ids is None or device.organization_id in org_ids


# --- connection profiles -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProfileList:
    items: list[Profile]
    as_of: datetime | None
    degraded: bool = False
    error: str | None = None


def profile_list() -> ProfileList:
    """The profile snapshot; from the upstream's list (no detail) when it is missing."""
    try:
        snapshot = configured.read_model().read_profiles()
    except redis.RedisError:
        snapshot = None
        degraded = True
    else:
        degraded = False
        if snapshot is not None:
            return ProfileList(snapshot.items, snapshot.as_of)
    try:
        with configured.degraded_upstream()() as api:
            items = list(api.iter_profiles())
    except errors.ControlAPIError as error:
        message = in_words("Connection profiles could not be read:", error)
        return ProfileList([], None, degraded=degraded, error=message)
    return ProfileList(items, _now(), degraded=degraded)
