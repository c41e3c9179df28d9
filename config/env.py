"""Reading settings from the environment: small helpers that fail loudly.

Every setting has a documented default (see `.env.example`). A value that is
present but malformed stops the process at start-up with a message naming the
variable and the bad value, rather than running with a silently wrong setting.
"""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    # An empty variable counts as unset, so `FOO=` in a .env file means "use the default".
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def _bad(name: str, value: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"Environment variable {name}={value!r} is not valid: {expected}.")


def env_str(name: str, default: str | None = None) -> str | None:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _bad(name, value, "expected one of 1/0, true/false, yes/no, on/off")


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    value = _raw(name)
    if value is None:
        result = default
    else:
        try:
            result = int(value)
        except ValueError:
            raise _bad(name, value, "expected a whole number") from None
    if minimum is not None and result < minimum:
        raise _bad(name, str(result), f"must be at least {minimum}")
    if maximum is not None and result > maximum:
        raise _bad(name, str(result), f"must be at most {maximum}")
    return result


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; blanks between commas are dropped."""
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str) -> list:
    """A comma-separated list of IP addresses or networks (10.0.0.5, 10.1.0.0/16, ::1)."""
    import ipaddress

    networks = []
    for item in env_list(name, []):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise _bad(name, item, "expected IP addresses or networks such as 10.0.0.0/8") from None
    return networks


def env_url(name: str, default: str, *, schemes: tuple[str, ...] = ("http", "https")) -> str:
    """A URL with one of `schemes` and a host; returned without a trailing slash."""
    url = _raw(name) or default
    try:
        parts = urlsplit(url)
        valid = parts.scheme in schemes and bool(parts.hostname)
        parts.port  # noqa: B018 -- raises ValueError on a non-numeric port
    except ValueError:
        valid = False
    if not valid:
        expected = " or ".join(f"{scheme}://" for scheme in schemes)
        raise _bad(name, _without_password(url), f"expected a URL starting with {expected}")
    return url.rstrip("/")


def env_redis_address():
    """REDIS_URL, and REDIS_SENTINELS ("host:port,host:port"), REDIS_SENTINEL_MASTER and
    REDIS_SENTINEL_PASSWORD, which when set find REDIS_URL's host and port through Sentinel."""
    from fleet.redis_connection import RedisAddress, parse_sentinels

    url = env_url("REDIS_URL", "redis://127.0.0.1:6379/0", schemes=("redis", "rediss"))
    text = _raw("REDIS_SENTINELS")
    try:
        sentinels = parse_sentinels(text)
    except ValueError as bad:
        raise _bad("REDIS_SENTINELS", text, f"{bad}: expected host:port,host:port") from None
    try:
        return RedisAddress(
            url, sentinels, env_str("REDIS_SENTINEL_MASTER"), env_str("REDIS_SENTINEL_PASSWORD")
        )
    except ValueError as bad:
        raise ImproperlyConfigured(f"Redis Sentinel settings are not valid: {bad}.") from None


def env_timezone(name: str, default: str) -> str:
    """An IANA time zone name such as "UTC" or "America/Mexico_City"."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = _raw(name) or default
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise _bad(name, value, "expected an IANA time zone name such as UTC") from None
    return value


# SQLite with more than one writer (a bulk job writing while a user saves): WAL lets readers
# go on beside the writer; IMMEDIATE takes the write lock when a transaction starts, so a
# second writer waits (up to `timeout` seconds) instead of failing with "database is locked"
# when its read-then-write transaction cannot be upgraded.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}


def env_database(name: str, default: str, *, conn_max_age: int = 0) -> dict:
    """A database URL (sqlite:///path, postgres://user@host:port/db) as a DATABASES entry."""
    import dj_database_url

    url = _raw(name) or default
    try:
        config = dj_database_url.parse(url, conn_max_age=conn_max_age)
    except ValueError:
        # The URL may hold a password: name the value without it.
        raise _bad(
            name,
            _without_password(url),
            "expected a database URL such as "
            "postgres://user@host:5432/name or sqlite:///path/db.sqlite3",
        ) from None
    if config.get("ENGINE") == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    return config


def _without_password(url: str) -> str:
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "<unparseable URL>"
    if password is None:
        return url
    netloc = parts.netloc.replace(f":{password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
