"""Client behaviour that needs no upstream at all, or one the simulator cannot play
(a redirect, a closed port). A tiny local http.server stands in only for the redirect."""

import contextlib
import socket
import threading
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from controlapi import ControlAPI, errors

TOKEN = "local-test-token-0123"


@pytest.fixture
def closed_port_url():
    """A URL on a port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1"


@contextlib.contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]):
    """A local http.server on a free port, answering with `handler`: the API root's URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/api/v1"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def redirecting_server():
    """Answers every request with a 301 to another host's path, counting requests by method."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def _redirect(self):
            seen.append((self.command, self.path))
            self.send_response(301)
            self.send_header("Location", "http://elsewhere.invalid/api/v1/inventory_device/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PATCH = _redirect

        def log_message(self, *args):
            pass

    with _serving(Handler) as url:
        yield url, seen


def test_closed_port_is_unavailable_and_certainly_not_sent(closed_port_url):
    api = ControlAPI(closed_port_url, TOKEN)
    with api, pytest.raises(errors.Unavailable) as caught:
        api.reboot(1001)
    assert caught.value.maybe_sent is False
    assert (
        str(caught.value)
        == "The control API could not be reached for PATCH /inventory_device/1001/"
    )
    assert TOKEN not in str(caught.value)


def test_redirect_is_an_error_and_a_write_is_not_replayed_as_a_get(redirecting_server):
    url, seen = redirecting_server
    with ControlAPI(url, TOKEN) as api, pytest.raises(errors.BadResponse, match="redirect"):
        api.reboot(1001)
    assert seen == [("PATCH", "/api/v1/inventory_device/1001/")]


def test_naive_datetime_is_refused_before_anything_is_sent(closed_port_url):
    with ControlAPI(closed_port_url, TOKEN) as api:
        with pytest.raises(ValueError, match="timezone-aware"):
            api.create_headless_operation(
                device_serial="SN1",
                operation_type="reboot",
                scheduled_time=datetime(2024, 1, 16, 2),
            )
        with pytest.raises(ValueError, match="timezone-aware"):
            api.list_devices(last_status_change_from=datetime(2024, 1, 16))


@pytest.mark.parametrize("bad_id", ["1001/../1002", 10.5, True, None])
def test_an_id_that_is_not_an_int_never_reaches_the_path(closed_port_url, bad_id):
    with ControlAPI(closed_port_url, TOKEN) as api, pytest.raises(TypeError):
        api.get_device(bad_id)


def test_client_closes_its_own_session_but_not_an_injected_one(closed_port_url):
    injected = requests.Session()
    closed = []
    injected.close = lambda: closed.append("injected")  # observe only; nothing to fail here
    with ControlAPI(closed_port_url, TOKEN, session=injected) as api:
        assert api.session is injected
    assert closed == []

    own = ControlAPI(closed_port_url, TOKEN)
    own_closed = []
    original_close = own.session.close
    own.session.close = lambda: (own_closed.append("own"), original_close())
    with own:
        pass
    assert own_closed == ["own"]


def test_token_is_not_in_the_clients_repr(closed_port_url):
    assert TOKEN not in repr(ControlAPI(closed_port_url, TOKEN))


def test_a_client_without_a_token_is_refused_at_once(closed_port_url):
    with pytest.raises(ValueError, match="token"):
        ControlAPI(closed_port_url, "")


@pytest.fixture
def answering_server():
    """Answers every GET with the body and content type the test sets: bodies the
    simulator never sends (other encodings), to reach the client's slower JSON reader."""
    answer = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", answer["type"])
            self.send_header("Content-Length", str(len(answer["body"])))
            self.end_headers()
            self.wfile.write(answer["body"])

        def log_message(self, *args):
            pass

    with _serving(Handler) as url:
        yield url, answer


DEVICE_JSON = '{"id": 7, "name": "Router-\u00e9t\u00e9", "latitude": "40.7128"}'


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (DEVICE_JSON.encode(), "application/json"),
        (
            DEVICE_JSON.replace("\\u00e9", "é").encode("latin-1"),
            "application/json; charset=latin-1",
        ),
        # Python servers may write NaN (not JSON, read by json, refused by orjson).
        (DEVICE_JSON.replace('"40.7128"', "NaN").encode(), "application/json"),
    ],
    ids=["utf-8", "declared-latin-1", "nan"],
)
def test_a_json_answer_is_read_as_before_in_its_declared_charset(
    answering_server, body, content_type
):
    url, answer = answering_server
    answer.update(body=body, type=content_type)
    with ControlAPI(url, TOKEN, max_retries=0) as api:
        device = api.get_device(7)
    assert (device.id, device.name) == (7, "Router-été")
    assert device.latitude in (None, Decimal("40.7128"))


def test_an_answer_that_is_not_json_is_unreadable_in_words(answering_server):
    url, answer = answering_server
    answer.update(body=b"<html>502 Bad Gateway</html>", type="text/html")
    with ControlAPI(url, TOKEN, max_retries=0) as api, pytest.raises(errors.BadResponse) as caught:
        api.get_device(7)
    assert str(caught.value) == (
        "The control API sent an answer that could not be read (200)"
        " for GET /inventory_device/7/ (not JSON)"
    )
