"""Bare HTTP against the simulator's /api/v1 (no project client on purpose: these tests pin
the wire format itself)."""

import requests


class ApiClient:
    """Bare requests against /api/v1 with one bearer token (no project client on purpose:
    these tests pin the wire format itself)."""

    def __init__(self, api_url: str, token: str | None):
        self.api_url = api_url
        self.session = requests.Session()
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, f"{self.api_url}{path}", **kwargs)

    def get(self, path, **params):
        return self.request("GET", path, params=params)

    def post(self, path, body):
        return self.request("POST", path, json=body)

    def patch(self, path, body):
        return self.request("PATCH", path, json=body)

    def put(self, path, body):
        return self.request("PUT", path, json=body)

    def delete(self, path):
        return self.request("DELETE", path)

    def all_devices(self, **params) -> list[dict]:
        """Every device of a filter, walking pages by offset."""
        items, offset = [], 0
        while True:
            page = self.get("/inventory_device/", limit=100, offset=offset, **params).json()
            items.extend(page["results"])
            if page["next"] is None:
                return items
            offset += 100


def new_device_body(**overrides) -> dict:
    body = {
        "name": "Router-Branch-Office-002",
        "customer_id": "CUST-2024-002",
        "serial_number": "ZEQTEST000002",
        "serial_number_alt": "ALT-ZEQTEST000002",
        "type": 12,
        "organization_id": 5,
        "location_name": "Boston Branch Office",
        "latitude": "42.3601",
        "longitude": "-71.0589",
        "description": "Secondary branch office router",
        "username": "device_admin",
        "password": "secure_password_123",
        "update_frequency": 300,
    }
    body.update(overrides)
    return body


def first_device(api: ApiClient, **filters) -> dict:
    """The first device of a filter, as its detail record."""
    item = api.get("/inventory_device/", limit=1, **filters).json()["results"][0]
    return api.get(f"/inventory_device/{item['id']}/").json()
