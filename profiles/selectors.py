"""Reads for the profile pages: from the read model, judged, scoped, masked.

Where the data comes from. The profile poll (fleet.polling.poll_profiles)
keeps every profile's detail in one Redis snapshot; pages read it. If there is
no snapshot yet (never polled) or Redis cannot be read, the list and the detail
read the upstream directly (`devices.upstream.control_api()`, no
update_status, a short timeout) and say so. The upstream's list carries no
health data, so a list read that way shows every profile as "unknown". If that
fails too the page says why, in words. The detail also reads the upstream for a
profile the snapshot lacks (one created since the last poll) and keeps what it
read in the read model (`ReadModel.keep_profile`), so that when the upstream
fails later the page shows that copy, with its age, rather than nothing. The
health summary (for the overview) reads the snapshot only: the overview must
never wait on the upstream.

Tenancy. ASSUMPTION: profiles carry no organization id upstream; the newer
shape names an organization, the older one none. NOC staff (scope.all) see every
profile. Anyone else sees a profile when its organization name equals the name
of one of their organizations (`accounts.models.Organization.name`, compared
without surrounding spaces and ignoring case: `tenancy.visible_profiles`, which
the triage board follows too). A profile without an organization is NOC-only.
The list follows the organization switcher (`request.scope`); the detail checks
the user's whole scope, like `tenancy.ensure_allowed`, and answers None (the
view: 404) to outsiders; it looks only among the profiles the scope shows, in the
snapshot and in a kept copy, so a hidden profile gets the very answers a missing
one gets.

Secrets. `ProfileDetail` holds the profile's nested data already masked
(`common.masking.mask_secrets`); the record itself never reaches a template.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis

from accounts import tenancy
from accounts.tenancy import OrgScope
from common import profile_health as health
from common.masking import mask_secrets, mask_url
from controlapi import errors
from controlapi.records import Profile
from devices import configured
from devices.upstream import control_api

log = logging.getLogger(__name__)

SNAPSHOT = "snapshot"
UPSTREAM = "upstream"
KEPT = "kept"  # the copy a page last read from the upstream (one profile only)

# A page that falls back to the upstream must still answer quickly.
FALLBACK_TIMEOUT = (3.05, 10)


# --- reading -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProfileSource:
    """Every profile as read for one page, and where from."""

    items: list[Profile]
    as_of: datetime | None
    source: str | None  # SNAPSHOT, UPSTREAM, KEPT, or None when nothing could be read
    notice: str | None = None  # why the snapshot was not used
    error: str | None = None  # why nothing could be read


def _read_snapshot() -> tuple[Any, str | None]:
    """(ProfileSnapshot or None, why not). Never raises."""
    try:
        # The fleet cache's page client: fails fast when Redis is away.
        snapshot = configured.read_model().read_profiles()
    except redis.RedisError as error:
        log.warning("profile snapshot unreadable: %s", type(error).__name__)
        return None, "The fleet cache (Redis) cannot be reached"
    except (ValueError, KeyError, TypeError):
        log.warning("profile snapshot is not in the expected form", exc_info=True)
        return None, "The cached profile snapshot cannot be read"
    if snapshot is None:
        return None, "The profiles have not been polled yet"
    return snapshot, None


def read_profiles(*, name: str = "") -> ProfileSource:
    snapshot, why = _read_snapshot()
    if snapshot is not None:
        return ProfileSource(items=snapshot.items, as_of=snapshot.as_of, source=SNAPSHOT)
    started = datetime.now(UTC)
    try:
        with control_api(timeout=FALLBACK_TIMEOUT, max_retries=1) as api:
            items = list(api.iter_profiles(name=name or None))
    except errors.ControlAPIError as error:
        return ProfileSource(
            items=[], as_of=None, source=None, notice=why,
            error=f"{why}, and the control API could not be read either: "
                  f"{errors.as_sentence(error)}",
        )  # fmt: skip
    notice = (
        f"{why}: read directly from the control API instead. The list it gives has no"
        " health data, so health shows as unknown until the next profile poll."
    )
    return ProfileSource(items=items, as_of=started, source=UPSTREAM, notice=notice)


class ProfileUnreadable(Exception):
    """Nothing could be read of the profile (no snapshot has it, the upstream failed and
    no copy was kept); the message says why."""


def _read_kept(profile_id: int):
    """The copy of the profile kept from an earlier upstream read, or None. Never raises."""
    try:
        return configured.read_model().kept_profile(profile_id)
    except redis.RedisError as error:
        log.warning("kept profile unreadable: %s", type(error).__name__)
    except (ValueError, KeyError, TypeError):
        log.warning("kept profile is not in the expected form", exc_info=True)
    return None


def _keep(profile: Profile | None, profile_id: int, read_at: datetime) -> None:
    """Keep what the upstream sent (None: it has no such profile). Never raises."""
    try:
        model = configured.read_model()
        if profile is None:
            model.forget_profile(profile_id)
        else:
            model.keep_profile(profile, read_at=read_at)
    except redis.RedisError as error:
        log.warning("profile not kept: %s", type(error).__name__)


def read_profile(profile_id: int, scope: OrgScope) -> tuple[Profile | None, ProfileSource]:
    """The profile if the scope shows it (None: it does not exist or the scope does not
    show it) and where it was read from.

    From the snapshot when it has the profile; else from the upstream, once, keeping
    what it sent; when the upstream fails, the copy kept from an earlier read. Only
    profiles the scope shows are looked up anywhere, so a hidden profile gets exactly
    the answers a missing one gets. Raises ProfileUnreadable when nothing was read."""
    snapshot, why = _read_snapshot()
    if snapshot is not None:
        found = next(
            (p for p in tenancy.visible_profiles(snapshot.items, scope) if p.id == profile_id), None
        )
        if found is not None:
            return found, ProfileSource(items=[], as_of=snapshot.as_of, source=SNAPSHOT)
        why = f"This profile was not in the last profile poll ({_age(snapshot.as_of)} ago)"
    read_at = datetime.now(UTC)
    try:
        with control_api(timeout=FALLBACK_TIMEOUT, max_retries=1) as api:
            profile = api.get_profile(profile_id)
    except errors.NotFound:
        _keep(None, profile_id, read_at)
        return None, ProfileSource(items=[], as_of=read_at, source=UPSTREAM, notice=why)
    except errors.ControlAPIError as error:
        failure = (
            f"{why}, and the control API could not be read either: {errors.as_sentence(error)}"
        )
        kept = _read_kept(profile_id)
        if kept is None or not tenancy.visible_profiles([kept.profile], scope):
            raise ProfileUnreadable(failure) from error
        notice = f"{failure} This is the copy last read from the control API."
        return kept.profile, ProfileSource(items=[], as_of=kept.as_of, source=KEPT, notice=notice)
    _keep(profile, profile_id, read_at)
    if not tenancy.visible_profiles([profile], scope):
        return None, ProfileSource(items=[], as_of=read_at, source=UPSTREAM, notice=why)
    notice = f"{why}: read directly from the control API instead."
    return profile, ProfileSource(items=[], as_of=read_at, source=UPSTREAM, notice=notice)


# --- the list ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProfileRow:
    profile: Profile
    judgement: health.Judgement


@dataclass(frozen=True, slots=True)
class StateCount:
    state: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class ProfileList:
    rows: list[ProfileRow]  # after the name and state filters, by name
    counts: list[StateCount]  # per state, after the name filter (worst first)
    total: int  # profiles after the name filter
    source: ProfileSource

    @property
    def age(self) -> str | None:
        return _age(self.source.as_of)


def _age(as_of: datetime | None) -> str | None:
    if as_of is None:
        return None
    return health.describe_age(datetime.now(UTC) - as_of)


def _counts(rows: list[ProfileRow]) -> list[StateCount]:
    tally = {state: 0 for state in health.STATES}
    for row in rows:
        tally[row.judgement.state] += 1
    return [StateCount(s, health.STATE_LABELS[s], tally[s]) for s in health.STATES]


def _judged(profiles: list[Profile]) -> list[ProfileRow]:
    now = datetime.now(UTC)
    return [ProfileRow(p, health.judge(p, now)) for p in profiles]


def profile_list(*, scope: OrgScope, name: str = "", state: str = "") -> ProfileList:
    """Visible profiles whose name contains `name` (any case), in `state` if given."""
    source = read_profiles(name=name)
    needle = tenancy.folded_name(name)
    matching = [
        p
        for p in tenancy.visible_profiles(source.items, scope)
        if needle in tenancy.folded_name(p.name)
    ]
    rows = sorted(
        _judged(matching), key=lambda r: (tenancy.folded_name(r.profile.name), r.profile.id)
    )
    counts = _counts(rows)
    if state in health.STATES:
        rows = [r for r in rows if r.judgement.state == state]
    return ProfileList(rows=rows, counts=counts, total=len(matching), source=source)


# --- the health summary (the overview includes it) ---------------------------------------


@dataclass(frozen=True, slots=True)
class HealthSummary:
    counts: list[StateCount]
    worst: list[ProfileRow]  # failing, then degraded, then unknown; never healthy
    total: int
    as_of: datetime | None
    notice: str | None  # why there is nothing to show

    @property
    def age(self) -> str | None:
        return _age(self.as_of)


def profile_health_summary(scope: OrgScope, *, worst: int = 5) -> HealthSummary:
    """Counts per health state and the `worst` least healthy profiles the scope shows.

    Reads the snapshot only (never the upstream): the overview must stay fast.
    """
    snapshot, why = _read_snapshot()
    if snapshot is None:
        return HealthSummary(counts=_counts([]), worst=[], total=0, as_of=None, notice=why)
    rows = _judged(tenancy.visible_profiles(snapshot.items, scope))
    order = {state: n for n, state in enumerate(health.STATES)}
    unhealthy = sorted(
        (r for r in rows if r.judgement.state != health.HEALTHY),
        key=lambda r: (order[r.judgement.state], tenancy.folded_name(r.profile.name)),
    )
    return HealthSummary(
        counts=_counts(rows), worst=unhealthy[:worst], total=len(rows),
        as_of=snapshot.as_of, notice=None,
    )  # fmt: skip


# --- one profile -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProfileDetail:
    """What the detail page shows; nested data masked, the record itself left out."""

    id: int
    name: str
    shape: str
    fields: dict[str, Any]  # the record's plain fields, URL passwords masked
    configuration: dict[str, Any]  # masked
    health_status: dict[str, Any]  # masked
    extra: dict[str, Any]  # masked
    judgement: health.Judgement
    source: ProfileSource

    @property
    def age(self) -> str | None:
        return _age(self.source.as_of)


_PLAIN_FIELDS = (
    "description", "is_active", "created_at", "updated_at", "created_by", "ssl_enabled",
    "username", "profile_type", "status", "organization", "last_sync", "last_sync_status",
    "sync_frequency", "sync_record_count", "endpoint_url", "authentication_type",
    "connection_timeout", "retry_attempts", "connection_type", "host", "port", "database",
    "endpoint", "timeout", "max_connections", "last_tested", "test_status",
)  # fmt: skip


def _shown(profile: Profile) -> dict[str, Any]:
    fields = {name: getattr(profile, name) for name in _PLAIN_FIELDS}
    for name in ("endpoint_url", "host", "endpoint", "database"):
        if isinstance(fields[name], str):
            fields[name] = mask_url(fields[name])
    fields["kind"] = profile.kind
    fields["timeout_seconds"] = profile.timeout_seconds
    return fields


def profile_detail(*, scope: OrgScope, profile_id: int) -> ProfileDetail | None:
    """The profile as the page shows it; None when it does not exist or the scope
    does not show it (the same answer, so outsiders learn nothing).
    Raises ProfileUnreadable when it cannot be read at all."""
    profile, source = read_profile(profile_id, scope)
    if profile is None:
        return None
    return ProfileDetail(
        id=profile.id,
        name=profile.name,
        shape=profile.shape,
        fields=_shown(profile),
        configuration=mask_secrets(profile.configuration),
        health_status=mask_secrets(profile.health_status),
        extra=mask_secrets(profile.extra),
        judgement=health.judge(profile, datetime.now(UTC)),
        source=source,
    )
