"""SimulatorControl: a small requests-based helper for the /_sim/ control endpoints."""

import requests


class SimulatorControlError(RuntimeError):
    pass


class SimulatorControl:
    # The default is the simulator's documented local control token, not a secret.
    def __init__(
        self,
        base_url: str,
        control_token: str = "sim-control",  # noqa: S107
        timeout: float = 60.0,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        # Local and direct: no proxies, and no ~/.netrc credentials replacing the token.
        self.session.trust_env = False
        self.session.headers["Authorization"] = f"Bearer {control_token}"

    def _call(self, method: str, path: str, json=None, params=None) -> dict:
        response = self.session.request(
            method, f"{self.base_url}/_sim/{path}", json=json, params=params, timeout=self.timeout
        )
        if response.status_code >= 400:
            raise SimulatorControlError(
                f"{method} /_sim/{path}: {response.status_code} {response.text}"
            )
        return response.json()

    def reset(self, devices: int | None = None) -> dict:
        """Back to the seed state: fleet, clock, settings, faults and request log."""
        return self._call("POST", "reset", json={} if devices is None else {"devices": devices})

    def resize(self, devices: int) -> dict:
        return self._call("POST", "resize", json={"devices": devices})

    def set_status(self, device_id: int, up: bool) -> dict:
        return self._call("POST", f"devices/{device_id}/status", json={"up": up})

    def answer_fields(self, device_id: int, **fields) -> dict:
        """Make the device's records carry these values as they are, unchecked (an
        upstream that stored them so), e.g. answer_fields(1001, type=10**29)."""
        return self._call("POST", f"devices/{device_id}/fields", json={"fields": fields})

    def profile_fields(self, profile_id: int, **fields) -> dict:
        """Make the connection profile carry these values, e.g.
        profile_fields(12, health_status={"connectivity": "unreachable"})."""
        return self._call("POST", f"profiles/{profile_id}/fields", json={"fields": fields})

    def request_log(self, last: int = 100, clear: bool = False) -> dict:
        """{"total", "counts": {"GET /api/v1/inventory_device/": n}, "entries": [...]}"""
        params = {"last": last}
        if clear:
            params["clear"] = "true"
        return self._call("GET", "requests", params=params)

    def clear_log(self) -> dict:
        return self._call("DELETE", "requests")

    def request_count(self, method: str, path: str) -> int:
        return self.request_log(last=0)["counts"].get(f"{method} {path}", 0)

    def organizations(self) -> list[dict]:
        """[{"id", "name", "devices"}] for demo set-up."""
        return self._call("GET", "organizations")["results"]

    def device_types(self) -> list[dict]:
        """[{"id", "type_short_name", "product_class", "manufacturer",
        "firmware_images": [{"id", "version"}]}]"""
        return self._call("GET", "catalog")["device_types"]

    def mark_image_bad(
        self,
        image_id: int,
        *,
        type_id: int | None = None,
        failure: str = "unconfirmed",
        down_after_seconds: float = 60,
    ) -> dict:
        """Make devices of the type (default: the image's own) updated to this image fail:
        "unconfirmed" (firmware_update stays pending) or "down" (it applies, then the device
        goes Down `down_after_seconds` later). Until a reset or mark_image_good."""
        body = {"failure": failure, "down_after_seconds": down_after_seconds}
        if type_id is not None:
            body["type"] = type_id
        return self._call("POST", f"firmware/{image_id}/bad", json=body)

    def mark_image_good(self, image_id: int) -> dict:
        return self._call("DELETE", f"firmware/{image_id}/bad")

    def set_faults(self, **faults) -> dict:
        """Replace the fault settings, e.g. set_faults(error_rate=0.5) or next_errors=2."""
        return self._call("POST", "faults", json=faults)

    def faults(self) -> dict:
        return self._call("GET", "faults")

    def clear_faults(self) -> dict:
        return self._call("DELETE", "faults")

    def advance(self, seconds: float = 0) -> dict:
        """Move the simulated clock on; life and queued work catch up. Returns changes."""
        return self._call("POST", "advance", json={"seconds": seconds})

    def settings(self, **changes) -> dict:
        """Read, or change, op_delay_seconds, update_status_latency_ms, churn_per_minute..."""
        if changes:
            return self._call("POST", "settings", json=changes)
        return self._call("GET", "settings")

    def close(self) -> None:
        self.session.close()
