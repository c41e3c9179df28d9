"""Deterministic connection profiles in both documented shapes.

The newer shape (profile_type, health_status, configuration...) and the older one
(connection_type, host, port, test_status...) are mixed in one list, as an
upstream mid-migration would answer. Some are healthy, some degraded, some failing,
some overdue for their sync, and some carry credential-like values so that the
dashboard can prove it never shows them.
"""

import random

from simulator.fleet import DAY, iso

PROFILE_COUNT = 30

NEWER_LIST_FIELDS = (
    "id",
    "name",
    "profile_type",
    "status",
    "last_sync",
    "organization",
    "created_at",
    "updated_at",
    "is_active",
)
OLDER_LIST_FIELDS = (
    "id",
    "name",
    "description",
    "connection_type",
    "host",
    "port",
    "database",
    "endpoint",
    "username",
    "created_at",
    "updated_at",
    "is_active",
)

_SYSTEMS = (
    ("Warehouse Management System", "warehouse-api.company.com", "Main Warehouse"),
    ("Field Service Inventory", "fieldsvc.andesfiber.example", "Andes Fiber ISP"),
    ("ERP Asset Register", "erp.northwind.example", "Northwind Enterprise Networks"),
    ("CPE Stock Ledger", "stock.costaverde.example", "Costa Verde Telecom"),
    ("Hotel IT Assets", "assets.metrohospitality.example", "Metro Hospitality Group"),
    ("Rural Tower Registry", "towers.pampa.example", "Pampa Rural Broadband"),
    ("Port Equipment Tracker", "equipment.harbor.example", "Harbor Logistics"),
    ("Spare Parts Catalogue", "parts.zequenze.example", "Zequenze Operations"),
    ("Returns and RMA Desk", "rma.zequenze.example", "Zequenze Operations"),
    ("Provisioning Queue", "provisioning.zequenze.example", "Zequenze Operations"),
)
_FREQUENCIES = {"every_15_minutes": 900, "hourly": 3600, "daily": DAY}


def _newer(rng: random.Random, profile_id: int, anchor: float, health: str) -> dict:
    system, host, org_name = _SYSTEMS[profile_id % len(_SYSTEMS)]
    frequency = rng.choice(tuple(_FREQUENCIES))
    period = _FREQUENCIES[frequency]
    overdue = health != "healthy" and rng.random() < 0.6
    last_sync = anchor - (period * rng.uniform(3, 8) if overdue else rng.uniform(0, period * 0.9))
    created = anchor - rng.uniform(60 * DAY, 700 * DAY)
    profile_type = rng.choice(("rest_api", "rest_api", "database", "sftp", "soap_api"))
    auth_type = rng.choice(("api_key", "oauth2", "basic"))
    configuration = {
        "data_mapping": {"item_id": "sku", "quantity": "stock_count", "location": "site_code"},
        "filters": {"active_items_only": True, "exclude_categories": ["obsolete", "discontinued"]},
    }
    if profile_id % 3 == 0:
        # Credential-like values the dashboard must mask wherever they appear.
        configuration["credentials"] = {
            "api_key": f"zk_live_{rng.getrandbits(96):024x}",
            "client_secret": f"cs_{rng.getrandbits(80):020x}",
            "oauth": {"token": f"eyJ{rng.getrandbits(120):030x}", "token_type": "Bearer"},
        }
    errors = {
        "healthy": (None, 0),
        "degraded": ("Timeout after 30s while fetching page 4", rng.randint(3, 20)),
        "failing": ("HTTP 401 Unauthorized: token expired", rng.randint(25, 300)),
    }[health]
    return {
        "id": profile_id,
        "name": f"{system} {profile_id:02d}",
        "description": f"Sync of {system.lower()} records into the device inventory",
        "profile_type": profile_type,
        "status": "inactive" if health == "failing" and profile_id % 2 else "active",
        "endpoint_url": f"https://{host}/v{rng.randint(1, 3)}",
        "authentication_type": auth_type,
        "ssl_enabled": rng.random() > 0.1,
        "connection_timeout": rng.choice((15, 30, 60)),
        "retry_attempts": rng.choice((1, 3, 5)),
        "sync_frequency": frequency,
        "last_sync": iso(last_sync),
        "last_sync_status": {"healthy": "success", "degraded": "partial", "failing": "failed"}[
            health
        ],
        "sync_record_count": rng.randint(40, 25000),
        "organization": org_name,
        "created_by": rng.choice(("admin@company.com", "noc-lead@zequenze.example")),
        "created_at": iso(created),
        "updated_at": iso(created + rng.uniform(0, anchor - created)),
        "is_active": health != "failing" or profile_id % 2 == 0,
        "configuration": configuration,
        "health_status": {
            "connectivity": {
                "healthy": "healthy",
                "degraded": "degraded",
                "failing": "unreachable",
            }[health],
            "authentication": "expired" if health == "failing" else "valid",
            "last_error": errors[0],
            "error_count_24h": errors[1],
        },
    }


def _older(rng: random.Random, profile_id: int, anchor: float, health: str) -> dict:
    system, host, _org = _SYSTEMS[profile_id % len(_SYSTEMS)]
    is_database = rng.random() < 0.6
    created = anchor - rng.uniform(300 * DAY, 1500 * DAY)
    profile = {
        "id": profile_id,
        "name": f"{system.lower().replace(' ', '-')}-{profile_id:02d}",
        "description": f"Legacy {'database' if is_database else 'API'} link to {system}",
        "connection_type": "database" if is_database else "api",
        "host": f"{'db' if is_database else 'api'}-{host}",
        "port": 5432 if is_database else 443,
        "username": "inventory_user" if is_database else None,
        "ssl_enabled": health != "failing",
        "timeout": 30,
        "max_connections": rng.choice((5, 10, 20)),
        "created_by": "admin@example.com",
        "created_at": iso(created),
        "updated_at": iso(created + rng.uniform(0, anchor - created)),
        "is_active": health != "failing",
        "last_tested": iso(anchor - rng.uniform(600, 40 * DAY if health != "healthy" else DAY)),
        "test_status": "failure" if health == "failing" else "success",
    }
    if is_database:
        profile["database"] = f"inventory_{profile_id:02d}"
        profile["password"] = f"pw-{rng.getrandbits(48):012x}"  # must never reach a page
    else:
        profile["endpoint"] = "/api/v1/inventory"
        profile.pop("username")
    return profile


def generate_profiles(seed: int, anchor: float, count: int = PROFILE_COUNT) -> list[dict]:
    """Profiles 1..count, about a third in the older shape; details as stored."""
    profiles = []
    for profile_id in range(1, count + 1):
        rng = random.Random(seed * 7_919 + profile_id)
        health = rng.choices(("healthy", "degraded", "failing"), weights=(6, 2, 2))[0]
        build = _older if profile_id % 3 == 2 else _newer
        profiles.append(build(rng, profile_id, anchor, health))
    return profiles


def list_item(profile: dict) -> dict:
    fields = NEWER_LIST_FIELDS if "profile_type" in profile else OLDER_LIST_FIELDS
    return {name: profile[name] for name in fields if name in profile}


def detail(profile: dict) -> dict:
    return dict(profile)
