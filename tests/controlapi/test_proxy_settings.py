"""The client goes through the proxy the environment names (HTTP_PROXY, NO_PROXY), as a
dashboard behind a site's proxy must: a real forwarding proxy on loopback in front of
the simulator."""

import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from controlapi import ControlAPI
from tests.fixtures.simulator import ALL_TOKEN

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class _Forwarder(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 -- http.server's name
        # A request to a proxy names the whole URL: note it and fetch it directly.
        self.server.seen.append(self.path)
        upstream = urllib.request.Request(
            self.path, headers={"Authorization": self.headers["Authorization"]}
        )
        with _DIRECT.open(upstream, timeout=10) as answer:
            body = answer.read()
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.headers["Content-Type"])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def proxy(monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY",
                 "no_proxy", "ALL_PROXY", "all_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Forwarder)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_client_goes_through_the_environments_proxy(simulator, sim_control, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_port}")

    with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
        page = api.list_devices(limit=2)
        api.list_devices(limit=2, offset=2)

    assert len(page.items) == 2
    assert len(proxy.seen) == 2
    assert proxy.seen[0].startswith(f"{simulator.api_url}/inventory_device/?")


def test_a_host_named_in_no_proxy_is_reached_directly(simulator, sim_control, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

    with ControlAPI(simulator.api_url, ALL_TOKEN, max_retries=0) as api:
        assert len(api.list_devices(limit=2).items) == 2

    assert proxy.seen == []
