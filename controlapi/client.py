"""The client of the Zequenze Control API: one method per endpoint, errors in words.

Plain Python + requests (no Django): the pollers, the services and the
management commands all use this one class. See docs/CLIENT.md.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar

import orjson
import requests
import requests.auth
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from controlapi import errors
from controlapi.device_record import Device
from controlapi.operation_records import DeviceOperation, HeadlessOperation
from controlapi.pages import Page, page_from_payload
from controlapi.profile_record import Profile
from controlapi.request_bodies import aware_text, collect_secrets, jsonable, scrub
from controlapi.retries import RetryPolicy, parse_retry_after

log = logging.getLogger("controlapi")

T = TypeVar("T")

DEFAULT_TIMEOUT = (3.05, 30.0)  # (connect, read) seconds; connect just above a TCP retransmit
DEFAULT_POOL_SIZE = 16  # connections kept per host: the poller fetches pages in parallel threads
DEFAULT_USER_AGENT = "zequenze-noc-dashboard/0.1 (controlapi)"


def _settle_environment(session: requests.Session, base_url: str) -> None:
    """Take the environment's proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) and CA bundle
    (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) settings for `base_url` once, as requests
    would: left to trust the environment, requests reads all of it again on every
    request, a fifth of the CPU a full poll's page fetch costs. ASSUMPTION: they do
    not change while the process runs (a restart picks a change up)."""
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False


class _BearerAuth(requests.auth.AuthBase):
    """Sets the bearer token. Given as `auth`, it also stops requests from taking
    credentials out of ~/.netrc, which would otherwise replace our header."""

    def __init__(self, token: str):
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:  # no token here
        return "<BearerAuth>"


DEVICES = "/inventory_device/"
PROFILES = "/inventory_connection_profile/"
DEVICE_OPERATIONS = "/inventory_device_operation/"
HEADLESS_OPERATIONS = "/inventory_device_serial_headless_operation/"

# A GET failing this way may well succeed a moment later.
_RETRYABLE = (errors.RateLimited, errors.UpstreamError, errors.Unavailable, errors.BadResponse)

# No answer after the request went out (read timeout, body cut short): the outcome is unknown.
_CUT_AFTER_SENDING = (
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)

# An observer of upstream calls: (method, endpoint with ids as "{id}", outcome), where the
# outcome is the HTTP status ("200", "503"), or without one "unreachable" (no connection),
# "no_answer" (timeout or cut after sending) or "not_sent" (a malformed request).
CallObserver = Callable[[str, str, str], None]

_ID_SEGMENT = re.compile(r"/\d+(?=/|$)")

# Secrets shorter than this are not scrubbed from messages: replacing "a" everywhere
# would garble the message and protect nothing.
_MIN_SECRET_LENGTH = 4


class ControlAPI:
    """A session with the control API.

    `base_url` is the API root, e.g. "http://127.0.0.1:8001/api/v1". `timeout` is
    (connect, read) seconds for every request. `session` lets a caller bring its own
    requests.Session (its adapters and pool are then the caller's, and close() leaves
    it open). GETs are retried as `RetryPolicy` describes; writes never are.
    `observer` is told of every request sent, retries included (metrics); its own
    failure never fails the call.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_retry_time: float = 30.0,
        user_agent: str = DEFAULT_USER_AGENT,
        pool_size: int = DEFAULT_POOL_SIZE,
        observer: CallObserver | None = None,
    ):
        if not token:
            raise ValueError("the control API needs a token")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry_policy = RetryPolicy(max_retries, backoff, max_retry_time)
        self._token = token
        self._auth = _BearerAuth(token)
        self._headers = {
            "Accept": "application/json",
            "User-Agent": user_agent,
        }
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            # Retries are ours (GET only); urllib3's own must stay off so a write is
            # never repeated underneath us.
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            _settle_environment(session, self.base_url)
        self.session = session
        self.observer = observer

    def __repr__(self) -> str:  # no token here
        return f"<ControlAPI {self.base_url}>"

    def close(self) -> None:
        """Close the session if this client created it."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> ControlAPI:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- devices ---------------------------------------------------------------

    def list_devices(
        self,
        *,
        status: bool | None = None,
        organization: int | None = None,
        type: int | None = None,
        last_status_change_from: datetime | None = None,
        pending: bool | None = None,
        update_status: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> Page[Device]:
        """One page of devices. `status` True: Up, False: Down. `update_status` makes the
        upstream ask every device's agent first: slow, for background pollers only."""
        params = _device_params(
            status, organization, type, last_status_change_from, pending, update_status,
            limit, offset,
        )  # fmt: skip
        return self._get_page(DEVICES, params, Device.from_api)

    def read_device_page(
        self,
        read: Callable[[bytes], T],
        *,
        status: bool | None = None,
        organization: int | None = None,
        type: int | None = None,
        last_status_change_from: datetime | None = None,
        pending: bool | None = None,
        update_status: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> T:
        """One page of devices as `read(body)` makes it of the upstream's raw body: the
        full poll's `read` hands the body to a worker process, which reads it with
        `controlapi.device_pages.read_device_cache_page` and stores it. `read` runs
        inside the client's retries: a BadResponse it raises (a body cut or garbled on
        the way) fetches the page again as any failed GET is; whatever else it raises
        propagates. Error answers raise as for every method."""
        params = _device_params(
            status, organization, type, last_status_change_from, pending, update_status,
            limit, offset,
        )  # fmt: skip
        return self._call("GET", DEVICES, params=params, read_body=read)

    def iter_devices(
        self,
        *,
        status: bool | None = None,
        organization: int | None = None,
        type: int | None = None,
        last_status_change_from: datetime | None = None,
        pending: bool | None = None,
        update_status: bool = False,
        limit: int = 100,
    ) -> Iterator[Device]:
        """Every device matching the filters, page after page, following `next` links."""
        params = _device_params(
            status, organization, type, last_status_change_from, pending, update_status,
            limit, offset=0,
        )  # fmt: skip
        return self._iter_pages(DEVICES, params, Device.from_api)

    def get_device(
        self, device_id: int, *, pending: bool = False, update_status: bool = False
    ) -> Device:
        """One device with the detail fields. `pending`: include pending-settings detail."""
        params = {}
        if pending:
            params["pending"] = "true"
        if update_status:
            params["update_status"] = "true"
        path = _device_path(device_id)
        return self._parse("GET", path, Device.from_api, self._call("GET", path, params=params))

    def create_device(self, fields: Mapping[str, Any]) -> Device:
        """Create a device. `fields` may include the device's `password`; it is sent, never
        logged, and never appears in an error message."""
        return self._write_device("POST", DEVICES, fields)

    def replace_device(self, device_id: int, fields: Mapping[str, Any]) -> Device:
        """PUT: every writable field left out of `fields` is reset upstream."""
        return self._write_device("PUT", _device_path(device_id), fields)

    def update_device(self, device_id: int, fields: Mapping[str, Any]) -> Device:
        """PATCH: only the given fields change."""
        return self._write_device("PATCH", _device_path(device_id), fields)

    def delete_device(self, device_id: int) -> None:
        self._call("DELETE", _device_path(device_id), expect_body=False)

    # Device operations: each one PATCH with the documented flag. The upstream answers
    # at once and tracks the operation in `pending_settings` until the device confirms.

    def reboot(self, device_id: int) -> Device:
        return self.update_device(device_id, {"reboot": True})

    def factory_reset(self, device_id: int) -> Device:
        """Factory reset with the stored configuration wiped."""
        return self.update_device(device_id, {"factory": True})

    def device_factory_reset(self, device_id: int) -> Device:
        """Factory reset of the device only; the stored configuration is kept."""
        return self.update_device(device_id, {"device_factory": True})

    def sync(self, device_id: int) -> Device:
        """Pull the device's active configuration."""
        return self.update_device(device_id, {"sync": True})

    def reconfigure(self, device_id: int) -> Device:
        """Re-apply every stored setting to the device."""
        return self.update_device(device_id, {"reconf": True})

    def set_debug(self, device_id: int, enabled: bool) -> Device:
        return self.update_device(device_id, {"debug": bool(enabled)})

    def schedule_firmware(self, device_id: int, image_id: int) -> Device:
        return self.update_device(
            device_id, {"firmware_image": _object_id(image_id), "firmware_image_is_pending": True}
        )

    # --- connection profiles ---------------------------------------------------

    def list_profiles(
        self, *, name: str | None = None, limit: int = 20, offset: int = 0
    ) -> Page[Profile]:
        params: dict[str, Any] = {"limit": int(limit), "offset": int(offset)}
        if name:
            params["name"] = name
        return self._get_page(PROFILES, params, Profile.from_api)

    def iter_profiles(self, *, name: str | None = None, limit: int = 100) -> Iterator[Profile]:
        params: dict[str, Any] = {"limit": int(limit), "offset": 0}
        if name:
            params["name"] = name
        return self._iter_pages(PROFILES, params, Profile.from_api)

    def get_profile(self, profile_id: int) -> Profile:
        path = f"{PROFILES}{_object_id(profile_id)}/"
        return self._parse("GET", path, Profile.from_api, self._call("GET", path))

    # --- device operational records --------------------------------------------

    def update_device_operation(self, device_id: int, fields: Mapping[str, Any]) -> DeviceOperation:
        """PUT the operational record of a device (ASSUMPTION: `{id}` is the device's id)."""
        path = f"{DEVICE_OPERATIONS}{_object_id(device_id)}/"
        payload = self._call("PUT", path, body=fields)
        return self._parse("PUT", path, DeviceOperation.from_api, payload)

    # --- headless operations ---------------------------------------------------

    def list_headless_operations(
        self, *, id: str | None = None, update_status: bool = False
    ) -> Page[HeadlessOperation]:
        """Headless operations; the upstream cannot list them without a transaction id, so
        whoever creates one keeps its id."""
        params = {}
        if id is not None:
            params["id"] = str(id)
        if update_status:
            params["update_status"] = "true"
        return self._get_page(HEADLESS_OPERATIONS, params, HeadlessOperation.from_api)

    def get_headless_operation(
        self, txn_id: str, *, update_status: bool = False
    ) -> HeadlessOperation:
        page = self.list_headless_operations(id=txn_id, update_status=update_status)
        for operation in page.items:
            if operation.id == txn_id:
                return operation
        # The upstream answers 404 for an unknown id; an empty or foreign page means the same.
        raise errors.NotFound(
            "GET",
            HEADLESS_OPERATIONS,
            404,
            f"The control API has no headless operation {txn_id!r} (404)"
            f" for GET {HEADLESS_OPERATIONS}",
        )

    def create_headless_operation(
        self,
        *,
        device_serial: str,
        operation_type: str,
        scheduled_time: datetime,
        parameters: Mapping[str, Any] | None = None,
    ) -> HeadlessOperation:
        body = {
            "device_serial": device_serial,
            "operation_type": operation_type,
            "scheduled_time": scheduled_time,
            "parameters": dict(parameters or {}),
        }
        payload = self._call("POST", HEADLESS_OPERATIONS, body=body)
        return self._parse("POST", HEADLESS_OPERATIONS, HeadlessOperation.from_api, payload)

    # --- transport -------------------------------------------------------------

    def _write_device(self, method: str, path: str, fields: Mapping[str, Any]) -> Device:
        return self._parse(method, path, Device.from_api, self._call(method, path, body=fields))

    def _get_page(self, path: str, params, parse_item: Callable[[Mapping], T]) -> Page[T]:
        payload = self._call("GET", path, params=params)
        return self._parse("GET", path, lambda raw: page_from_payload(raw, parse_item), payload)

    def _iter_pages(self, path: str, params, parse_item: Callable[[Mapping], T]) -> Iterator[T]:
        """Follow `next` links by their query string only: the upstream writes its public
        host into them, which need not be the host we talk to."""
        query = tuple((key, str(value)) for key, value in params.items())
        seen = {query}
        while True:
            page = self._get_page(path, query, parse_item)
            yield from page.items
            if page.next_query is None or not page.items:
                return
            query = page.next_query
            if query in seen:  # a link pointing back would loop for ever
                raise errors.BadResponse(
                    "GET",
                    path,
                    None,
                    "The control API sent a `next` link back to a page already read"
                    f" for GET {path}",
                )
            seen.add(query)

    def _parse(self, method: str, path: str, parse: Callable[[Any], T], payload: Any) -> T:
        try:
            return parse(payload)
        except (ValueError, TypeError, AttributeError) as exc:
            raise errors.unreadable(method, path, None, str(exc)) from exc

    def _call(
        self,
        method: str,
        path: str,
        *,
        params=None,
        body: Mapping[str, Any] | None = None,
        expect_body: bool = True,
        read_body: Callable[[bytes], Any] | None = None,
    ) -> Any:
        """One request; GETs retried per the retry policy, writes sent exactly once.
        `read_body`: a success answer is what it makes of the raw body (inside the
        retries, so a BadResponse it raises is retried as any other)."""
        json_body = jsonable(body) if body is not None else None
        secrets = self._secrets(body)
        started = time.monotonic()
        retry = 0
        while True:
            try:
                return self._send(method, path, params, json_body, expect_body, secrets, read_body)
            except _RETRYABLE as error:
                if method != "GET":
                    raise
                wait = self.retry_policy.delay(
                    retry, time.monotonic() - started, getattr(error, "retry_after", None)
                )
                if wait is None:
                    raise
                log.warning("%s; retrying in %.2f s (retry %d)", error, wait, retry + 1)
                time.sleep(wait)
                retry += 1

    def _send(self, method, path, params, json_body, expect_body, secrets, read_body) -> Any:
        response = self._request(method, path, params, json_body)
        with response:
            return self._read(method, path, response, expect_body, secrets, read_body)

    def _request(self, method, path, params, json_body) -> requests.Response:
        outcome = "not_sent"  # a configuration mistake (InvalidURL...) never reached the wire
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                params=params,
                json=json_body,
                headers=self._headers,
                auth=self._auth,
                timeout=self.timeout,
                # A redirected POST would turn into a GET, and a redirect to another host
                # drops the token: a redirect is an error, never followed.
                allow_redirects=False,
            )
            outcome = str(response.status_code)
            return response
        except requests.exceptions.ConnectTimeout as exc:
            outcome = "unreachable"
            raise errors.Unavailable(method, path, None, None, False) from exc
        except requests.exceptions.ConnectionError as exc:
            maybe_sent = _maybe_sent(exc)
            outcome = "no_answer" if maybe_sent else "unreachable"
            raise errors.Unavailable(method, path, None, None, maybe_sent) from exc
        except _CUT_AFTER_SENDING as exc:
            outcome = "no_answer"
            raise errors.Unavailable(method, path, None, None, True) from exc
        # Other RequestExceptions (InvalidURL, MissingSchema...) are configuration
        # mistakes, not outages: they propagate as they are.
        finally:
            self._observe(method, path, outcome)

    def _observe(self, method: str, path: str, outcome: str) -> None:
        if self.observer is None:
            return
        try:
            self.observer(method, endpoint_of(path), outcome)
        except Exception:  # noqa: BLE001 -- counting a call must never fail it
            log.warning("the upstream call observer failed", exc_info=True)

    def _read(
        self, method, path, response: requests.Response, expect_body, secrets, read_body
    ) -> Any:
        status = response.status_code
        if read_body is not None and 200 <= status < 300:
            return read_body(response.content)
        payload, decoded = _decode(response)
        if 200 <= status < 300:
            if not expect_body:
                return None
            if not decoded or not isinstance(payload, dict | list):
                raise errors.unreadable(method, path, status, "not JSON")
            return payload
        if 300 <= status < 400:
            raise errors.BadResponse(
                method,
                path,
                status,
                f"The control API answered with a redirect ({status}) for {method} {path}; "
                "check the configured API address",
            )
        retry_after = (
            parse_retry_after(response.headers.get("Retry-After")) if status in (429, 503) else None
        )
        raise errors.error_from_response(
            method,
            path,
            status,
            payload,
            retry_after=retry_after,
            scrub=lambda text: scrub(text, secrets),
        )

    def _secrets(self, body: Mapping[str, Any] | None) -> tuple[str, ...]:
        found = [self._token]
        collect_secrets(body, found)
        return tuple(s for s in found if len(s) >= _MIN_SECRET_LENGTH)


# --- helpers -------------------------------------------------------------------


def _decode(response: requests.Response) -> tuple[Any, bool]:
    """The body as JSON data, and whether it was JSON (an empty body is None, decoded).

    orjson first, because it is quicker than the json module behind Response.json()
    and the poller decodes every page of the fleet. A body orjson refuses goes to
    Response.json() before being called unreadable, so that whatever was read before
    still is: a declared charset other than UTF-8 (orjson reads UTF-8 only), NaN and
    Infinity, integers beyond 64 bits.
    """
    content = response.content
    if not content:
        return None, True
    try:
        return orjson.loads(content), True
    except orjson.JSONDecodeError:
        pass
    try:
        return response.json(), True
    except ValueError:
        return None, False


def _object_id(value: int) -> int:
    """An id for a path segment: an int, never a string that could change the path."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"an object id must be an int, not {type(value).__name__}")
    return value


def endpoint_of(path: str) -> str:
    """A path with its object ids as "{id}": one metric label per endpoint, not per device."""
    return _ID_SEGMENT.sub("/{id}", path)


def _device_path(device_id: int) -> str:
    return f"{DEVICES}{_object_id(device_id)}/"


def _device_params(
    status, organization, type_, changed_from, pending, update_status, limit, offset
) -> dict:
    """The query of one page of the device list: its filters, then limit and offset."""
    params: dict[str, Any] = {}
    if status is not None:
        params["status"] = "true" if status else "false"
    if organization is not None:
        params["organization"] = int(organization)
    if type_ is not None:
        params["type"] = int(type_)
    if changed_from is not None:
        params["last_status_change_from"] = aware_text(changed_from, "last_status_change_from")
    if pending:
        params["pending"] = "true"
    if update_status:
        params["update_status"] = "true"
    params.update(limit=int(limit), offset=int(offset))
    return params


def _maybe_sent(exc: requests.exceptions.ConnectionError) -> bool:
    """False only when the connection itself failed (refused, DNS, TLS handshake): then the
    request was certainly not sent. A cut connection may have delivered it."""
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return not isinstance(reason, NewConnectionError | ConnectTimeoutError)
