"""Client behaviour that needs no upstream at all, or one the simulator cannot play
(a redirect, a closed port). A tiny local http.server stands in only for the redirect."""

import socket
import threading
from datetime import datetime
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

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v1", seen
    server.shutdown()
    server.server_close()


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
