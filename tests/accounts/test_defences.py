"""Defences around logging in: throttling, sessions that expire, the CSP header, the page of a
refused form, and `check --deploy` with the production settings."""

import secrets
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEntry
from tests.fixtures.fresh_process import run_python
from tests.fixtures.users import PASSWORD

LOGIN = "/accounts/login/"


def _login(client, username, password, address="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.django_db
def test_five_failed_logins_lock_that_username_out_from_that_address(operator, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "operator", "wrong").status_code == 200
    assert _login(client, "operator", "wrong").status_code == 429  # the fifth: locked out

    refused = _login(client, "operator", PASSWORD)

    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Login locked for now" in page
    assert "Try again in 15 minutes" in page
    assert '<nav class="mainnav"' not in page  # the site's layout, nobody logged in
    assert "_auth_user_id" not in client.session
    # Another address is not locked out: a stranger cannot lock the user out everywhere.
    assert _login(Client(), "operator", PASSWORD, address="10.0.0.2").status_code == 302


@pytest.mark.django_db
def test_the_lockout_page_does_not_count_attempts_it_refused_unseen(operator, settings):
    """Seven wrong passwords, then the right one: the page said "There were 5 failed logins"
    each time (attempts while locked out are refused before they are counted)."""
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        _login(client, "operator", "wrong")

    page = " ".join(_login(client, "operator", PASSWORD).content.decode().split())

    assert "There were" not in page
    assert (
        f"After {settings.AXES_FAILURE_LIMIT} failed logins for <strong>operator</strong>" in page
    )
    assert "refused for a while, whatever the password" in page


@pytest.mark.django_db
def test_a_lockout_warns_that_trying_again_meanwhile_starts_the_wait_again(operator, settings):
    from axes.models import AccessAttempt

    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        first = _login(client, "operator", "wrong").content.decode()
    # Ten of the fifteen minutes have passed since the last failure.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=10))

    again = _login(client, "operator", PASSWORD).content.decode()

    assert "Try again in 15 minutes" in again  # the attempt itself started the wait again
    assert "an attempt before then starts the 15 minutes again" in first


@pytest.mark.django_db
def test_failed_logins_and_the_lockout_are_in_the_audit_trail(operator, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "operator", "wrong-password-typed")
    _login(client, "operator", PASSWORD)

    failed = AuditEntry.objects.filter(action="login_failed")
    assert failed.count() >= settings.AXES_FAILURE_LIMIT
    assert {entry.username for entry in failed} == {"operator"}
    assert {entry.parameters["address"] for entry in failed} == {"10.0.0.1"}
    locked = AuditEntry.objects.filter(action="login_locked_out")
    assert locked.exists()
    assert locked.first().parameters == {"address": "10.0.0.1"}
    everything = str(list(AuditEntry.objects.values()))
    assert "wrong-password-typed" not in everything
    assert PASSWORD not in everything


@pytest.mark.django_db
def test_a_successful_login_clears_the_failures(operator, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "operator", "wrong")
    assert _login(client, "operator", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    # The count started again: one more failure does not lock the user out.
    _login(client, "operator", "wrong")
    assert _login(client, "operator", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_session_is_renewed_while_the_user_is_active(client_of, operator, settings):
    client = client_of(operator)
    client.get("/healthz/auth")
    session = client.session
    session["_renewed_at"] -= settings.SESSION_RENEW_SECONDS  # the last renewal, a minute ago
    session.save()
    before = Session.objects.get(session_key=session.session_key).expire_date

    response = client.get("/healthz/auth")

    # The idle time starts again: a new expiry, stored and sent in the cookie.
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == settings.SESSION_COOKIE_AGE == 8 * 3600
    assert Session.objects.get(session_key=session.session_key).expire_date > before


@pytest.mark.django_db
def test_a_session_left_idle_ends(client_of, operator):
    client = client_of(operator)
    client.get("/healthz/auth")
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    assert client.get("/healthz/auth").status_code == 302  # to the login page


LOST = "Your session ended before what you sent could be saved"


@pytest.mark.django_db
def test_a_form_sent_after_the_session_ended_is_said_lost_on_the_login_page(client_of, operator):
    client = client_of(operator)
    client.get("/healthz/auth")
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = client.post("/operations/", {"device_serial": "SN-1"}, follow=True)

    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert LOST in response.content.decode()
    assert LOST not in Client().get(LOGIN).content.decode()


@pytest.mark.django_db
def test_logging_out_says_nothing_was_lost(client_of, operator):
    response = client_of(operator).post("/accounts/logout/", follow=True)

    assert LOST not in response.content.decode()


@pytest.mark.django_db
def test_a_part_sent_after_the_session_ended_reloads_to_a_login_page_saying_so(client_of, operator):
    client = client_of(operator)
    client.get("/healthz/auth")
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    sent = client.post("/triage/7/claim/", {"note": "on site"}, HTTP_HX_REQUEST="true")
    reloaded = client.get("/triage/", follow=True)

    assert sent.headers.get("HX-Refresh") == "true"
    assert LOST in reloaded.content.decode()


def test_the_idle_time_of_a_session_comes_from_the_environment():
    result = run_python(
        "from django.conf import settings; print(settings.SESSION_COOKIE_AGE)",
        DEBUG="1",
        SESSION_IDLE_SECONDS="900",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "900"


def test_the_login_limits_come_from_the_environment():
    result = run_python(
        "from django.conf import settings\n"
        "print(settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME.total_seconds())",
        DEBUG="1",
        LOGIN_FAILURE_LIMIT="3",
        LOGIN_LOCKOUT_MINUTES="60",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3", "3600.0"]


@pytest.mark.django_db
def test_a_login_without_a_request_still_checks_the_password(operator):
    # Management commands and the shell authenticate without a request (no address to count).
    assert authenticate(username="operator", password=PASSWORD) == operator
    assert authenticate(username="operator", password="wrong") is None


@pytest.mark.django_db
def test_pages_forbid_inline_scripts_and_styles(client):
    policy = client.get(LOGIN)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy


@pytest.mark.django_db
def test_the_login_page_says_when_secure_cookies_meet_plain_http(client, settings):
    settings.CSRF_COOKIE_SECURE = settings.SESSION_COOKIE_SECURE = True
    page = client.get(LOGIN).content.decode()
    assert "you reached it over plain HTTP" in page
    assert 'href="https://testserver/accounts/login/"' in page
    assert "SECURE_COOKIES=0" in page

    assert "plain HTTP" not in client.get(LOGIN, secure=True).content.decode()
    # Behind a TLS proxy the browser did use HTTPS.
    behind_proxy = client.get(LOGIN, HTTP_X_FORWARDED_PROTO="https").content.decode()
    assert "plain HTTP" not in behind_proxy
    # Browsers keep Secure cookies from localhost even over plain HTTP.
    assert "plain HTTP" not in client.get(LOGIN, HTTP_HOST="localhost:8000").content.decode()


@pytest.mark.django_db
def test_a_form_refused_over_plain_http_explains_why(operator, settings):
    settings.CSRF_COOKIE_SECURE = settings.SESSION_COOKIE_SECURE = True
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)  # the browser would not keep the Secure cookie anyway
    client.cookies.clear()

    refused = client.post(LOGIN, {"username": "operator", "password": PASSWORD})

    assert refused.status_code == 403
    page = refused.content.decode()
    assert "Form refused" in page
    assert "you reached it over plain HTTP" in page
    assert "https://testserver/accounts/login/" in page
    assert "CSRF cookie not set" not in page


@pytest.mark.django_db
def test_a_stale_form_is_refused_with_a_page_in_the_site_layout(operator):
    client = Client(enforce_csrf_checks=True)
    refused = client.post(LOGIN, {"username": "operator", "password": PASSWORD}, secure=True)
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "security token was missing or out of date" in page
    assert "plain HTTP" not in page


def test_the_production_settings_pass_the_deployment_checks():
    result = run_python(
        "from django.core.management import call_command\n"
        "call_command('check', deploy=True, fail_level='WARNING')\n",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="noc.example.com",
        SECURE_SSL_REDIRECT="1",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
        SECURE_HSTS_PRELOAD="1",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout + result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example",
     "\\\\evil.example", " //evil.example", "http://testserver@evil.example/"],
)  # fmt: skip
def test_logging_in_never_leaves_for_another_host(operator, target):
    client = Client()
    response = client.post(
        f"{LOGIN}?next={target}", {"username": "operator", "password": PASSWORD, "next": target}
    )

    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.django_db
def test_a_wrong_password_keeps_the_username_typed(operator):
    page = _login(Client(), "operator", "wrong").content.decode()

    assert 'value="operator"' in page and "did not match" in page
