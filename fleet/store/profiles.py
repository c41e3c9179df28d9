"""The connection-profile snapshot (one JSON document) and the profile records pages
keep for when neither the snapshot nor the upstream has them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
import redis

from controlapi.records import Profile
from fleet.store.keys import KEPT_DETAIL_TTL, Keys
from fleet.store.values import epoch, from_epoch, read_kept, to_json


@dataclass(frozen=True, slots=True)
class ProfileSnapshot:
    items: list[Profile]
    as_of: datetime


@dataclass(frozen=True, slots=True)
class KeptProfile:
    profile: Profile
    as_of: datetime  # when it was read from the upstream


class Profiles:
    """The profile keys over one client."""

    def __init__(self, client: redis.Redis, keys: Keys):
        self.client = client
        self.keys = keys

    def write_profiles(self, profiles: Sequence[Profile], *, as_of: datetime) -> None:
        """Replace the profile snapshot: one SET, so readers see all old or all new."""
        document = {"as_of": as_of.timestamp(), "items": [p.to_cache() for p in profiles]}
        self.client.set(self.keys.profiles, to_json(document))

    def read_profiles(self) -> ProfileSnapshot | None:
        """The profile snapshot, or None before the first profile poll."""
        raw = self.client.get(self.keys.profiles)
        if raw is None:
            return None
        document = orjson.loads(raw)
        return ProfileSnapshot(
            items=[Profile.from_cache(item) for item in document["items"]],
            as_of=from_epoch(document["as_of"]),
        )

    def keep_profile(self, profile: Profile, *, read_at: datetime) -> None:
        """Keep `profile`, read from the upstream at `read_at`, for `kept_profile`
        (its page shows it when neither the snapshot nor the upstream has it)."""
        data = {"profile": profile.to_cache(), "read_at": epoch(read_at)}
        self.client.set(self.keys.kept_profile(profile.id), to_json(data), ex=KEPT_DETAIL_TTL)

    def kept_profile(self, profile_id: int) -> KeptProfile | None:
        """The profile record last kept and when it was read; None if none."""
        kept = read_kept(self.client, self.keys.kept_profile(profile_id), "profile")
        return None if kept is None else KeptProfile(Profile.from_cache(kept[0]), kept[1])

    def forget_profile(self, profile_id: int) -> None:
        """Drop the kept record of a profile the upstream no longer has."""
        self.client.delete(self.keys.kept_profile(profile_id))
