"""The settings module and the Celery app, loaded in a fresh process with a given environment,
as `runserver`, `gunicorn` and `celery` load them."""

import json
import os
import subprocess
import sys

import pytest

from tests.fixtures.fresh_process import OUR_VARIABLES, ROOT, run_python

PRINT_SETTINGS = """
import json
from django.conf import settings
from config.celery import app
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "CONTROL_API_URL": settings.CONTROL_API_URL,
    "CONTROL_API_TOKEN": settings.CONTROL_API_TOKEN,
    "REDIS_URL": settings.REDIS_URL,
    "DATABASE_ENGINE": settings.DATABASES["default"]["ENGINE"],
    "DATABASE_NAME": str(settings.DATABASES["default"]["NAME"]),
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "X_FRAME_OPTIONS": settings.X_FRAME_OPTIONS,
    "HISTORY_RETENTION_DAYS": settings.HISTORY_RETENTION_DAYS,
    "broker_url": app.conf.broker_url,
    "broker_transport": app.conf.broker_transport,
    "broker_transport_options": app.conf.broker_transport_options,
    "beat": {name: [entry["task"], entry["schedule"].total_seconds()]
             for name, entry in app.conf.beat_schedule.items()},
}))
"""


def load_settings(**env):
    result = run_python(PRINT_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_defaults_point_at_the_local_simulator_and_redis():
    loaded = load_settings(DEBUG="1")
    assert loaded["CONTROL_API_URL"] == "http://127.0.0.1:8001/api/v1"
    assert loaded["CONTROL_API_TOKEN"] == "demo-token"
    assert loaded["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert loaded["DATABASE_ENGINE"] == "django.db.backends.sqlite3"
    assert loaded["DATABASE_NAME"] == str(ROOT / "db.sqlite3")
    assert loaded["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]


def test_celery_uses_redis_and_schedules_both_polls_at_their_intervals():
    loaded = load_settings(
        DEBUG="1",
        REDIS_URL="redis://127.0.0.1:6379/3",
        POLL_INTERVAL_SECONDS="45",
        PROFILE_POLL_INTERVAL_SECONDS="600",
    )
    assert loaded["broker_url"] == "redis://127.0.0.1:6379/3"
    assert loaded["beat"] == {
        "poll-fleet": ["devices.tasks.poll_fleet", 45.0],
        "poll-profiles": ["devices.tasks.poll_profiles", 600.0],
        # A bulk job whose worker died is resumed (devices.bulk.resume_stalled_jobs).
        "resume-stalled-bulk-jobs": ["devices.bulk_tasks.resume_stalled_bulk_jobs", 30.0],
        # Notifications: the evaluation's backstop, and deliveries due again.
        "evaluate-alerts": ["alerts.evaluate", 15.0],
        "sweep-alert-deliveries": ["alerts.sweep_deliveries", 30.0],
        # The durable history past its retention, hourly.
        "prune-history": ["devices.tasks.prune_history", 3600.0],
        # Each running firmware campaign stepped (campaigns.engine).
        "advance-campaigns": ["campaigns.advance_all", 15.0],
    }


def test_with_sentinels_celery_asks_them_for_the_master_with_redis_urls_db_and_password():
    loaded = load_settings(
        DEBUG="1",
        REDIS_URL="redis://:master-secret@ignored.example:6379/3",
        REDIS_SENTINELS="10.0.0.1:26379, 10.0.0.2",
        REDIS_SENTINEL_MASTER="noc",
        REDIS_SENTINEL_PASSWORD="sentinel-secret",
    )
    assert loaded["broker_url"] == (
        "sentinel://:master-secret@10.0.0.1:26379/3;sentinel://:master-secret@10.0.0.2:26379/3"
    )
    assert loaded["broker_transport"] == "config.broker:SentinelTransport"
    assert loaded["broker_transport_options"] == {
        "visibility_timeout": 3600,
        "master_name": "noc",
        "sentinel_kwargs": {"password": "sentinel-secret"},
    }


def test_without_sentinels_celery_uses_redis_url_with_the_repaired_transport():
    loaded = load_settings(DEBUG="1", REDIS_URL="redis://127.0.0.1:6379/3")
    assert loaded["broker_transport"] == "config.broker:Transport"
    assert loaded["broker_transport_options"] == {"visibility_timeout": 3600}


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"REDIS_SENTINELS": "10.0.0.1:26379"}, "REDIS_SENTINEL_MASTER (the name) is not"),
        ({"REDIS_SENTINEL_MASTER": "noc"}, "REDIS_SENTINELS is not"),
        (
            {"REDIS_SENTINELS": "10.0.0.1:26379,10.0.0.2:port", "REDIS_SENTINEL_MASTER": "noc"},
            "REDIS_SENTINELS='10.0.0.1:26379,10.0.0.2:port' is not valid: '10.0.0.2:port'",
        ),
        (
            {"REDIS_SENTINELS": "h:1", "REDIS_SENTINEL_MASTER": "noc",
             "REDIS_URL": "rediss://h:6379/0"},
            "must be redis:// (not rediss://)",
        ),
    ],
)  # fmt: skip
def test_bad_sentinel_settings_stop_start_up_saying_which(environment, message):
    result = run_python("", DEBUG="1", **environment)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = run_python("", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_production_sends_cookies_over_https_only():
    loaded = load_settings(DEBUG="0", SECRET_KEY="a-production-secret-for-this-test-only")
    assert loaded["DEBUG"] is False
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["SECURE_HSTS_SECONDS"] > 0
    assert loaded["X_FRAME_OPTIONS"] == "DENY"


def test_a_too_short_poll_interval_stops_start_up_with_its_name():
    result = run_python("", DEBUG="1", POLL_INTERVAL_SECONDS="1")
    assert result.returncode != 0
    assert "POLL_INTERVAL_SECONDS" in result.stderr
    assert "at least 5" in result.stderr


def test_history_is_kept_400_days_unless_the_environment_says_otherwise():
    assert load_settings(DEBUG="1")["HISTORY_RETENTION_DAYS"] == 400
    assert load_settings(DEBUG="1", HISTORY_RETENTION_DAYS="30")["HISTORY_RETENTION_DAYS"] == 30
    refused = run_python("", DEBUG="1", HISTORY_RETENTION_DAYS="0")
    assert refused.returncode != 0
    assert "HISTORY_RETENTION_DAYS" in refused.stderr


def test_postgres_database_url_is_used():
    loaded = load_settings(DEBUG="1", DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres")
    assert loaded["DATABASE_ENGINE"] == "django.db.backends.postgresql"
    assert loaded["DATABASE_NAME"] == "postgres"


def test_the_api_token_never_reaches_the_log():
    token = "tok-0123456789-secret"
    code = (
        "import logging\n"
        "log = logging.getLogger('fleet.polling')\n"
        f"log.warning('GET failed: Authorization: Bearer {token}')\n"
        f"logging.getLogger('django.request').error('upstream said %s', 'bad token {token}')\n"
    )
    result = run_python(code, DEBUG="1", CONTROL_API_TOKEN=token)
    assert result.returncode == 0, result.stderr
    assert "GET failed" in result.stderr
    assert "upstream said" in result.stderr
    assert token not in result.stderr
    assert "[redacted]" in result.stderr


def test_manage_py_check_passes_with_the_defaults():
    clean = {k: v for k, v in os.environ.items() if k not in OUR_VARIABLES}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_email_comes_from_the_environment_and_tls_with_ssl_is_refused():
    shown = run_python(
        "from django.conf import settings; "
        "print(settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS)",
        DEBUG="1", EMAIL_HOST="smtp.example.com", EMAIL_PORT="587", EMAIL_USE_TLS="1",
    )  # fmt: skip
    assert shown.stdout.split() == ["smtp.example.com", "587", "True"]

    both = run_python(PRINT_SETTINGS, DEBUG="1", EMAIL_USE_TLS="1", EMAIL_USE_SSL="1")
    assert both.returncode != 0
    assert "Set EMAIL_USE_TLS or EMAIL_USE_SSL, not both." in both.stderr


def test_with_a_mail_directory_e_mail_notifications_are_kept_as_files(tmp_path):
    # What `./run demo` does when no SMTP server is given: a mailto: destination's
    # message lands in the directory instead of failing against localhost:25.
    sent = run_python(
        "from alerts.destinations import send; "
        "print(send('mailto://oncall@example.com', subject='Down', text='CPE-1 is Down',"
        " body={}).ok)",
        DEBUG="1", EMAIL_FILE_PATH=str(tmp_path),
    )  # fmt: skip

    assert sent.stdout.split() == ["True"], sent.stderr
    (kept,) = tmp_path.iterdir()
    assert "CPE-1 is Down" in kept.read_text() and "oncall@example.com" in kept.read_text()
