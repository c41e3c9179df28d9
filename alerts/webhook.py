"""The dashboard's plain JSON webhook as an apprise plugin: POST the body as it is, signed.

apprise's json:// plugin wraps the message in a body of its own ({"title", "message",
"type", ...}) and cannot sign those bytes, so `json://` and `jsons://` destinations are
handed to apprise under the schemes below (alerts.destinations rewrites them), which this
plugin registers (apprise.decorators.notify). The transport stays apprise's: its URL
parsing, its threading, its log; this plugin only makes the one HTTP request.

Headers: `Content-Type: application/json`, `User-Agent`, `X-NOC-Delivery` (the body's
`id`, the same on every retry of one notification: receivers drop repeats by it) and,
when the URL has `secret=...`, `X-NOC-Signature: sha256=<hex HMAC-SHA256 of the body's
bytes with the secret>`. The `secret` parameter is never sent; the other parameters are.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from urllib.parse import urlencode

import requests
from apprise.decorators import notify

SCHEME = "nocjson"
SECURE_SCHEME = "nocjsons"
SIGNATURE_HEADER = "X-NOC-Signature"
DELIVERY_HEADER = "X-NOC-Delivery"
TIMEOUT = (5, 15)  # seconds to connect, to read the answer
ANSWER_MARK = "Webhook answer: "

log = logging.getLogger("apprise")


def signature(body: bytes, secret: str) -> str:
    """The X-NOC-Signature value for `body` signed with `secret`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def last_answer(lines: list[str]) -> str:
    """The answer this plugin logged, out of apprise's captured log lines ("" if none)."""
    for line in reversed(lines):
        if ANSWER_MARK in line:
            return line.split(ANSWER_MARK, 1)[1]
    return ""


def _post(body: str, meta: dict, secure: bool) -> bool:
    qsd = dict(meta.get("qsd") or {})
    secret = qsd.pop("secret", "")
    qsd.pop("verify", None)  # apprise's own parameter (verify=no: no certificate check)
    host = meta.get("host") or ""
    port = f":{meta['port']}" if meta.get("port") else ""
    query = f"?{urlencode(qsd)}" if qsd else ""
    url = f"{'https' if secure else 'http'}://{host}{port}{meta.get('fullpath') or '/'}{query}"
    data = body.encode()
    try:
        delivery = json.loads(body).get("id", "")
    except ValueError:
        delivery = ""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "NOC-Dashboard-Notifications/1",
        DELIVERY_HEADER: str(delivery),
    }
    if secret:
        headers[SIGNATURE_HEADER] = signature(data, secret)
    auth = (meta["user"], meta.get("password") or "") if meta.get("user") else None
    try:
        response = requests.post(
            url, data=data, headers=headers, auth=auth, timeout=TIMEOUT, allow_redirects=False,
            verify=meta.get("verify", True),
        )  # fmt: skip
    except requests.RequestException as error:
        log.warning("%s%s", ANSWER_MARK, f"no answer ({type(error).__name__}).")
        return False
    ok = 200 <= response.status_code < 300
    log.info("%s%s", ANSWER_MARK, f"HTTP {response.status_code} {response.reason}.")
    return ok


@notify(on=SCHEME, name="NOC dashboard JSON webhook")
def post_plain(body, title, notify_type, meta, *args, **kwargs):
    return _post(body, meta, secure=False)


@notify(on=SECURE_SCHEME, name="NOC dashboard JSON webhook (HTTPS)")
def post_secure(body, title, notify_type, meta, *args, **kwargs):
    return _post(body, meta, secure=True)
