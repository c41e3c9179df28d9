"""Where a notification goes: one apprise URL per destination, masked for people, and the
one function that sends to it.

- `mailto:` / `mailto://` (`mailto://oncall@example.com`, several addresses separated by
  commas): sent through Django's e-mail backend with the EMAIL_* settings (the SMTP server
  of the environment, or the mail folder EMAIL_FILE_PATH), not through apprise's own mail
  plugin, so that one SMTP setup serves the whole dashboard; the answer says which.
- `json://` / `jsons://` (`jsons://hooks.example.com/noc?secret=s3cr3t`): the dashboard's
  plain JSON webhook: a POST of the versioned body (alerts.messages, docs/OPERATIONS.md)
  as it is, signed with HMAC-SHA256 when the URL has a `secret=` parameter (taken off
  before sending). apprise's built-in json plugin posts a body of its own shape, and its
  headers cannot carry a signature of that body's bytes, so these URLs go through a
  custom apprise plugin (alerts.webhook) instead.
- anything else apprise knows (`slack://`, `msteams://`, `pagerduty://`, `opsgenie://`,
  `tgram://`...): apprise sends the subject and the text.

A destination URL is a secret (tokens in its path, passwords, the webhook secret): pages,
logs and the audit show `mask(url)`, and answers are scrubbed of every part of it.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import apprise
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email

from alerts import webhook

HIDDEN = "…"
MAX_LENGTH = 200  # Destination.masked
EMAIL_SCHEMES = frozenset({"mailto", "mailtos"})
WEBHOOK_SCHEMES = {"json": webhook.SCHEME, "jsons": webhook.SECURE_SCHEME}
SECRET_PARAMETER = "secret"
ANSWER_LENGTH = 480


@dataclass(frozen=True)
class Sent:
    ok: bool
    answer: str  # in words, every part of the URL but its scheme and host hidden


def scheme_of(url: str) -> str:
    return url.split(":", 1)[0].strip().lower() if ":" in url else ""


def host_of(url: str) -> str:
    scheme = scheme_of(url)
    rest = url.split(":", 1)[1] if ":" in url else url
    if scheme in EMAIL_SCHEMES:
        # mailto:a@example.com or mailto://a@example.com: the domain of the first address.
        first = rest.lstrip("/").split("?", 1)[0].split(",", 1)[0]
        return first.rsplit("@", 1)[-1] if "@" in first else ""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def mask(url: str) -> str:
    """The URL's scheme and host, the rest hidden: `jsons://hooks.example.com:8443/…`,
    `mailto://…@example.com/…`, `slack://…`.

    ASSUMPTION: a network host name has a dot or is `localhost` (or an IP address), while
    the tokens apprise takes in the host's place (Slack, PagerDuty, Telegram, Discord…)
    have none; such a "host" is hidden too."""
    scheme = scheme_of(url)
    if not scheme or not scheme.isascii() or not scheme.isalnum():
        return HIDDEN
    if scheme in EMAIL_SCHEMES:
        host = host_of(url)
        return f"{scheme}://{HIDDEN}@{host}/{HIDDEN}" if host else f"{scheme}://{HIDDEN}"
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname or "", parts.port
    except ValueError:  # an unbalanced bracket, or not a port (`tgram://123:ABC/…`): a token
        return f"{scheme}://{HIDDEN}"
    if not ("." in host or host == "localhost"):
        return f"{scheme}://{HIDDEN}"
    shown = f"{host}:{port}" if port else host
    user = f"{HIDDEN}@" if parts.username or parts.password else ""
    return f"{scheme}://{user}{shown}/{HIDDEN}"[:MAX_LENGTH]


def problem(url: str) -> str | None:
    """Why `url` cannot be a destination, in words (None: it can). Never echoes the URL."""
    url = (url or "").strip()
    scheme = scheme_of(url)
    if not scheme:
        return "A destination is an apprise URL such as mailto://oncall@example.com."
    if scheme in EMAIL_SCHEMES:
        if not recipients(url):
            return "A mailto: destination needs at least one address (mailto://a@example.com)."
        return None
    if scheme in WEBHOOK_SCHEMES:
        try:
            parts = urlsplit(url)
            host, port = parts.hostname or "", parts.port
        except ValueError:  # not a port (`:abc`, `:99999`), or an unbalanced bracket
            host, port = "", None
        if not host or any(c.isspace() for c in host) or port == 0:
            return (f"A {scheme}:// destination needs a host name and, if any, a port from 1 "
                    "to 65535 (jsons://hooks.example.com:8443/path).")  # fmt: skip
        return None
    if apprise.Apprise().add(url):
        return None
    return f"apprise does not accept this {scheme}:// URL (see its documentation for the form)."


def recipients(url: str) -> list[str]:
    """The addresses a mailto: URL sends to. With `to=`, only those: before the `?` is then
    apprise's SMTP account (`user:password@smtp-host`), never a recipient (the dashboard's
    own SMTP settings send), so its password is in no header."""
    rest = url.split(":", 1)[1].lstrip("/")
    addresses, _, query = rest.partition("?")
    found = [unquote(v).strip() for k, v in parse_qsl(query) if k == "to" for v in v.split(",")]
    found = found or [unquote(a).strip() for a in addresses.split(",")]
    return [a for a in found if _is_address(a)]


def _is_address(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


def signing_secret(url: str) -> str:
    """The webhook secret of a json(s):// URL ("" when none)."""
    query = urlsplit(url).query
    return next(
        (v for k, v in parse_qsl(query, keep_blank_values=True) if k == SECRET_PARAMETER), ""
    )


def without_secret(url: str) -> str:
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != SECRET_PARAMETER
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def send(url: str, *, subject: str, text: str, body: dict) -> Sent:
    """Send one notification; never raises for the destination's failure. `body` is the
    webhook body (alerts.messages), `subject` and `text` what every other kind shows."""
    scheme = scheme_of(url)
    try:
        if scheme in EMAIL_SCHEMES:
            sent = _send_email(url, subject=subject, text=text)
        elif scheme in WEBHOOK_SCHEMES:
            sent = _send_webhook(url, body=body)
        else:
            sent = _send_apprise(url, subject=subject, text=text)
    except Exception as error:  # a destination's failure is an answer, not a crash
        sent = Sent(False, f"{type(error).__name__}: {error}")
    return Sent(sent.ok, scrub(sent.answer, url)[:ANSWER_LENGTH])


def _send_email(url: str, *, subject: str, text: str) -> Sent:
    to = recipients(url)
    if not to:
        return Sent(False, "No e-mail address in the destination.")
    EmailMessage(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=to).send()
    return Sent(True, email_done_in_words())


# What each of Django's e-mail backends does with a message, in the rule page's words.
_EMAIL_BACKEND_WORDS = {
    "django.core.mail.backends.filebased.EmailBackend": (
        "Written to the mail folder {path}, not sent: no SMTP server is used while "
        "EMAIL_FILE_PATH is set (set EMAIL_HOST, without EMAIL_FILE_PATH, to send e-mail)."
    ),
    "django.core.mail.backends.console.EmailBackend": (
        "Written to the worker's console output, not sent (the console e-mail backend)."
    ),
    "django.core.mail.backends.locmem.EmailBackend": (
        "Kept in memory by the test e-mail backend, not sent."
    ),
    "django.core.mail.backends.dummy.EmailBackend": (
        "Thrown away by the dummy e-mail backend, not sent."
    ),
}


def email_done_in_words() -> str:
    """What became of an e-mail the configured backend (settings.EMAIL_BACKEND) took: only
    the SMTP backend hands it to a server, the others keep or drop it here."""
    backend = settings.EMAIL_BACKEND
    if backend == "django.core.mail.backends.smtp.EmailBackend":
        return f"Accepted by the SMTP server {settings.EMAIL_HOST}:{settings.EMAIL_PORT}."
    words = _EMAIL_BACKEND_WORDS.get(backend)
    if words is None:
        return f"Handed to the e-mail backend {backend}."
    return words.format(path=getattr(settings, "EMAIL_FILE_PATH", None) or "(none set)")


def _send_webhook(url: str, *, body: dict) -> Sent:
    scheme = scheme_of(url)
    target = WEBHOOK_SCHEMES[scheme] + url[len(scheme) :]
    payload = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return _through_apprise(target, title="", text=payload)


def _send_apprise(url: str, *, subject: str, text: str) -> Sent:
    return _through_apprise(url, title=subject, text=text)


def _through_apprise(url: str, *, title: str, text: str) -> Sent:
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return Sent(False, "apprise does not accept this destination URL.")
    with apprise.LogCapture(level=logging.INFO) as said:
        ok = bool(notifier.notify(body=text, title=title))
    lines = [line.strip() for line in said.getvalue().splitlines() if line.strip()]
    answer = webhook.last_answer(lines) or (lines[-1] if lines else "")
    return Sent(ok, answer or ("Sent." if ok else "Not sent (no reason given)."))


_WORDS = re.compile(r"[^/?&=:@,;#\s]{4,}")


def scrub(text: str, url: str) -> str:
    """`text` without any part of `url` but its scheme and host: the whole URL, and every
    piece of its user, password, path and query four characters or longer."""
    if not text:
        return text
    host = host_of(url)
    text = text.replace(url, mask(url))
    rest = url.split(":", 1)[1] if ":" in url else url
    pieces = {p for p in _WORDS.findall(unquote(rest)) if p != host and host not in p}
    pieces |= {p for p in _WORDS.findall(rest) if p != host and host not in p}
    for piece in sorted(pieces, key=len, reverse=True):
        text = text.replace(piece, HIDDEN)
    return text
