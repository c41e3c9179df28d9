"""Profiles of both upstream shapes, healthy unless told otherwise, at a fixed moment."""

from datetime import UTC, datetime, timedelta

from controlapi.records import Profile

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def newer(**changes):
    """A healthy newer-shape profile, with `changes` to the fields or health_status."""
    status = {
        "connectivity": "healthy",
        "authentication": "valid",
        "last_error": None,
        "error_count_24h": 0,
    }
    status.update(changes.pop("health_status", {}))
    raw = {
        "id": 1,
        "name": "Warehouse",
        "profile_type": "rest_api",
        "sync_frequency": "hourly",
        "last_sync": (NOW - timedelta(minutes=30)).isoformat(),
        "last_sync_status": "success",
        "health_status": status,
    }
    raw.update(changes)
    return Profile.from_api(raw)


def older(**changes):
    raw = {
        "id": 2,
        "name": "legacy-db",
        "connection_type": "database",
        "host": "db.example",
        "last_tested": (NOW - timedelta(days=1)).isoformat(),
        "test_status": "success",
    }
    raw.update(changes)
    return Profile.from_api(raw)
