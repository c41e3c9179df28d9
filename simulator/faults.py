"""Injected faults for /api/ requests: latency, 5xx, 429, hangs, malformed bodies,
outage windows. Optionally limited to one method and a path pattern (fnmatch).

Two modes: rates (a seeded random draw per request, reproducible for a given
request order) and "next N" counts, which hit exactly the next N matching
requests so that tests never depend on chance.
"""

import random
from dataclasses import dataclass, field, fields
from fnmatch import fnmatchcase

MALFORMED_KINDS = ("non_json", "truncated")


@dataclass
class FaultConfig:
    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_status: list[int] = field(default_factory=lambda: [500, 502, 503])
    rate_limit_rate: float = 0.0
    retry_after: int = 1
    hang_rate: float = 0.0
    hang_seconds: float = 30.0
    malformed_rate: float = 0.0
    malformed: str = "truncated"
    next_errors: int = 0
    next_rate_limits: int = 0
    next_hangs: int = 0
    next_malformed: int = 0
    outage_seconds: float = 0.0
    method: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class Decision:
    latency_seconds: float = 0.0
    action: str | None = None  # outage | error | rate_limit | hang | malformed
    status: int | None = None
    retry_after: int | None = None
    hang_seconds: float | None = None
    malformed: str | None = None


class FaultConfigError(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def parse_config(body: dict) -> FaultConfig:
    """A FaultConfig from a JSON body; every problem reported per field."""
    known = {f.name for f in fields(FaultConfig)}
    errors: dict[str, list[str]] = {}
    values = {}
    for name, value in body.items():
        if name not in known:
            errors[name] = ["Unknown fault setting."]
            continue
        values[name] = value
    config = FaultConfig()
    for name, value in values.items():
        default = getattr(config, name)
        if name == "error_status":
            statuses = [value] if isinstance(value, int) else value
            if (
                not isinstance(statuses, list)
                or not statuses
                or not all(isinstance(s, int) and 400 <= s <= 599 for s in statuses)
            ):
                errors[name] = ["An HTTP status (400-599) or a list of them."]
                continue
            value = statuses
        elif name in ("method", "path"):
            if value is not None and not isinstance(value, str):
                errors[name] = ["Not a valid string."]
                continue
            if name == "method" and value:
                value = value.upper()
        elif name == "malformed":
            if value not in MALFORMED_KINDS:
                errors[name] = [f"Use one of {', '.join(MALFORMED_KINDS)}."]
                continue
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            errors[name] = ["A number, zero or more."]
            continue
        elif name.endswith("_rate") and value > 1:
            errors[name] = ["A rate between 0 and 1."]
            continue
        elif isinstance(default, int) and not isinstance(default, bool):
            value = int(value)
        setattr(config, name, value)
    if errors:
        raise FaultConfigError(errors)
    return config


class Faults:
    def __init__(self, seed: int):
        self.seed = seed
        self.clear()

    def clear(self) -> None:
        self.config = FaultConfig()
        self.outage_until = 0.0
        self.rng = random.Random(self.seed)
        self._cycle = 0

    def set(self, config: FaultConfig, now: float) -> None:
        self.config = config
        self.rng = random.Random(self.seed)
        self._cycle = 0
        self.outage_until = now + config.outage_seconds if config.outage_seconds else 0.0

    def describe(self, now: float) -> dict:
        data = {f.name: getattr(self.config, f.name) for f in fields(FaultConfig)}
        data["outage_remaining_seconds"] = round(max(self.outage_until - now, 0.0), 3)
        return data

    def _matches(self, method: str, path: str) -> bool:
        config = self.config
        if config.method and config.method != method:
            return False
        return not (config.path and not fnmatchcase(path, config.path))

    def _status(self) -> int:
        statuses = self.config.error_status
        self._cycle += 1
        return statuses[(self._cycle - 1) % len(statuses)]

    def decide(self, method: str, path: str, now: float) -> Decision | None:
        if now < self.outage_until:
            return Decision(action="outage", status=503)
        config = self.config
        if not self._matches(method, path):
            return None
        latency = config.latency_ms / 1000.0
        if config.next_errors:
            config.next_errors -= 1
            return Decision(latency, "error", status=self._status())
        if config.next_rate_limits:
            config.next_rate_limits -= 1
            return Decision(latency, "rate_limit", status=429, retry_after=config.retry_after)
        if config.next_hangs:
            config.next_hangs -= 1
            return Decision(latency, "hang", hang_seconds=config.hang_seconds)
        if config.next_malformed:
            config.next_malformed -= 1
            return Decision(latency, "malformed", malformed=config.malformed)
        rng = self.rng
        if config.error_rate and rng.random() < config.error_rate:
            return Decision(latency, "error", status=self._status())
        if config.rate_limit_rate and rng.random() < config.rate_limit_rate:
            return Decision(latency, "rate_limit", status=429, retry_after=config.retry_after)
        if config.hang_rate and rng.random() < config.hang_rate:
            return Decision(latency, "hang", hang_seconds=config.hang_seconds)
        if config.malformed_rate and rng.random() < config.malformed_rate:
            return Decision(latency, "malformed", malformed=config.malformed)
        return Decision(latency) if latency else None
