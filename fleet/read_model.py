"""The fleet read model in Redis: one object over a client and a key prefix, composed of
the store's parts (fleet.store), so callers hold one thing.

Pages read the fleet from here; only the pollers (fleet.polling) write it. It holds the
device snapshot with its indexes, the connection-profile snapshot, the pollers' health
and the status history. Everything takes a Redis client and a key prefix, so tests (and
several dashboards on one Redis) stay apart. The key layout is fleet.store.keys.
"""

from __future__ import annotations

from datetime import timedelta

import redis

from fleet.store.current import SnapshotInfo, snapshot_info
from fleet.store.health import Health
from fleet.store.history import History
from fleet.store.indexes import Derived
from fleet.store.keys import Keys
from fleet.store.lookups import Lookups
from fleet.store.profiles import Profiles
from fleet.store.queries import Queries
from fleet.store.snapshots import Snapshots
from fleet.store.writes import Writes


class ReadModel:
    """The fleet read model over one Redis client and key prefix.

    `grace` is how long a replaced generation stays readable; `result_ttl` how
    long a cached query result lives (a new generation or version makes new keys
    anyway, so this only bounds memory); `history` how far back history reaches.
    Each method is its part's (the parts are attributes, named for their concern).
    """

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        *,
        grace: timedelta = timedelta(seconds=120),
        result_ttl: timedelta = timedelta(seconds=60),
        history: timedelta = timedelta(days=7),
    ):
        self.client = client
        self.keys = keys = Keys(prefix)
        self.grace = grace
        self.result_ttl_ms = int(result_ttl.total_seconds() * 1000)
        self.history = history

        self.snapshots = Snapshots(client, keys, grace)
        self.new_snapshot = self.snapshots.new_snapshot
        self.collect_garbage = self.snapshots.collect_garbage
        self.delete_generation = self.snapshots.delete_generation

        derived = Derived(client, keys, self.result_ttl_ms)
        self.lookups = Lookups(client, keys, derived)
        self.get_device = self.lookups.get_device
        self.get_devices = self.lookups.get_devices
        self.keep_detail = self.lookups.keep_detail
        self.kept_detail = self.lookups.kept_detail
        self.organizations = self.lookups.organizations
        self.device_types = self.lookups.device_types
        self.firmware_images = self.lookups.firmware_images
        self.find_serials = self.lookups.find_serials
        self.pending_first_seen = self.lookups.pending_first_seen
        self.current_org_counts = self.lookups.current_org_counts

        self.queries = Queries(client, keys, derived, self.lookups, self.result_ttl_ms)
        self.query = self.queries.query

        self.writes = Writes(client, keys)
        self.update_devices = self.writes.update_devices
        self.remove_devices = self.writes.remove_devices

        self.health = Health(client, keys)
        self.poll_started = self.health.poll_started
        self.poll_succeeded = self.health.poll_succeeded
        self.poll_failed = self.health.poll_failed
        self.poll_health = self.health.poll_health
        self.poll_failure_kinds = self.health.poll_failure_kinds

        self.timeline = History(client, keys, history, self.lookups.organization_of)
        self.record_transitions = self.timeline.record_transitions
        self.transitions_since = self.timeline.transitions_since
        self.transitions_after = self.timeline.transitions_after
        self.newest_transition_id = self.timeline.newest_transition_id
        self.flapping_devices = self.timeline.flapping_devices
        self.record_org_counts = self.timeline.record_org_counts
        self.org_counts_series = self.timeline.org_counts_series

        self.profiles = Profiles(client, keys)
        self.write_profiles = self.profiles.write_profiles
        self.read_profiles = self.profiles.read_profiles
        self.keep_profile = self.profiles.keep_profile
        self.kept_profile = self.profiles.kept_profile
        self.forget_profile = self.profiles.forget_profile

    def snapshot_info(self, client=None) -> SnapshotInfo | None:
        """The current generation; `client`: a pipeline watching the pointer, if any."""
        return snapshot_info(client or self.client, self.keys)
