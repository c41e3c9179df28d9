"""The environment helpers: defaults when unset, loud errors naming the variable when malformed."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_database,
    env_int,
    env_list,
    env_str,
    env_timezone,
    env_url,
)


def test_unset_variable_gives_the_default(monkeypatch):
    monkeypatch.delenv("NOC_TEST_VALUE", raising=False)
    assert env_int("NOC_TEST_VALUE", 30) == 30
    assert env_str("NOC_TEST_VALUE", "x") == "x"


def test_empty_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv("NOC_TEST_VALUE", "  ")
    assert env_bool("NOC_TEST_VALUE", True) is True


def test_int_rejects_a_word_naming_variable_and_value(monkeypatch):
    monkeypatch.setenv("POLL_INTERVAL_SECONDS", "thirty")
    with pytest.raises(ImproperlyConfigured) as error:
        env_int("POLL_INTERVAL_SECONDS", 30)
    assert "POLL_INTERVAL_SECONDS" in str(error.value)
    assert "'thirty'" in str(error.value)


def test_int_rejects_a_value_below_its_minimum(monkeypatch):
    monkeypatch.setenv("POLL_INTERVAL_SECONDS", "2")
    with pytest.raises(ImproperlyConfigured, match="at least 5"):
        env_int("POLL_INTERVAL_SECONDS", 30, minimum=5)


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("yes", True), ("ON", True), ("0", False), ("false", False)]
)
def test_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("DEBUG", raw)
    assert env_bool("DEBUG", not expected) is expected


def test_bool_rejects_anything_else(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe'"):
        env_bool("DEBUG", False)


def test_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "noc.example.net, ,localhost,")
    assert env_list("ALLOWED_HOSTS", []) == ["noc.example.net", "localhost"]


def test_url_drops_a_trailing_slash(monkeypatch):
    monkeypatch.setenv("CONTROL_API_URL", "https://control.zequenze.com/api/v1/")
    assert env_url("CONTROL_API_URL", "http://x") == "https://control.zequenze.com/api/v1"


@pytest.mark.parametrize(
    "raw", ["control.zequenze.com/api/v1", "ftp://host/x", "http://", "http://h:port/"]
)
def test_url_rejects_what_is_not_an_http_url(monkeypatch, raw):
    monkeypatch.setenv("CONTROL_API_URL", raw)
    with pytest.raises(ImproperlyConfigured, match="CONTROL_API_URL"):
        env_url("CONTROL_API_URL", "http://127.0.0.1:8001/api/v1")


def test_url_error_never_shows_a_password(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "http://:hunter2@redis.internal:6379/0")
    with pytest.raises(ImproperlyConfigured) as error:
        env_url("REDIS_URL", "redis://127.0.0.1:6379/0", schemes=("redis", "rediss"))
    assert "hunter2" not in str(error.value)
    assert "REDIS_URL" in str(error.value)


def test_database_url_reads_postgres(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://noc@db.internal:5433/dashboard")
    config = env_database("DATABASE_URL", "sqlite:///x.sqlite3")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 5433, "dashboard")


def test_database_url_rejects_an_unknown_scheme_without_showing_the_password(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgress://noc:s3cret@db/dashboard")
    with pytest.raises(ImproperlyConfigured) as error:
        env_database("DATABASE_URL", "sqlite:///x.sqlite3")
    assert "DATABASE_URL" in str(error.value)
    assert "s3cret" not in str(error.value)


def test_timezone_rejects_an_unknown_zone(monkeypatch):
    monkeypatch.setenv("DISPLAY_TIME_ZONE", "Mars/Olympus")
    with pytest.raises(ImproperlyConfigured, match="DISPLAY_TIME_ZONE='Mars/Olympus'"):
        env_timezone("DISPLAY_TIME_ZONE", "UTC")


def test_timezone_accepts_an_iana_name(monkeypatch):
    monkeypatch.setenv("DISPLAY_TIME_ZONE", "America/Mexico_City")
    assert env_timezone("DISPLAY_TIME_ZONE", "UTC") == "America/Mexico_City"
