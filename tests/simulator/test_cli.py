"""python -m simulator: token arguments and a real run."""

import argparse
import socket
import subprocess
import sys
import time

import pytest
import requests

from simulator.__main__ import parse_token


def test_bare_token_sees_every_organization():
    assert parse_token("abc") == ("abc", None)


def test_token_with_ids_sees_only_those_organizations():
    assert parse_token("abc:5,7") == ("abc", frozenset({5, 7}))


def test_token_with_bad_ids_is_refused():
    with pytest.raises(argparse.ArgumentTypeError):
        parse_token("abc:five")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def cli_simulator():
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "--port",
            str(port),
            "--devices",
            "60",
            "--token",
            "all-orgs",
            "--token",
            "tenant:5,7",
            "--latency-ms",
            "0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/openapi.yaml", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_command_line_tokens_are_scoped(cli_simulator):
    def count(token, **params):
        response = requests.get(
            f"{cli_simulator}/inventory_device/",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        return response.status_code, response.json().get("count")

    assert count("all-orgs") == (200, 60)
    assert count("tenant", organization=11)[0] == 403
    assert count("demo-token")[0] == 401  # the demo token only when no --token is given
