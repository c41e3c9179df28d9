"""The embedded SQLite database as the settings configure it: two writers at once (a bulk job
writing while a user saves) both get through, the second waiting for the first."""

import threading

import pytest
from django.db import transaction
from django.db.utils import ConnectionHandler

from config.env import env_database


@pytest.fixture
def own_database(django_db_blocker):
    """Connections of the test's own (not the test database), allowed."""
    with django_db_blocker.unblock():
        yield


def test_two_writers_at_once_both_get_through(tmp_path, monkeypatch, own_database):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = env_database("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    # A file database (not :memory:), each thread with its own connection, as in the site;
    # transaction.atomic opens its transactions on these connections.
    handler = ConnectionHandler({"default": config})
    monkeypatch.setattr(transaction, "get_connection", lambda using=None: handler["default"])
    setup = handler["default"]
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE saved (who TEXT)")
    setup.close()

    user_read, job_wrote = threading.Event(), threading.Event()
    failures: list[Exception] = []

    def user_saves():
        # Reads, then writes in one transaction (as a form save that looks before it
        # writes), the job writing in between when it can. Once the user's transaction
        # holds the write lock the job cannot write, so the user stops waiting for it
        # after a second (how long does not change the outcome).
        try:
            with transaction.atomic(), handler["default"].cursor() as cursor:
                cursor.execute("SELECT count(*) FROM saved").fetchall()
                user_read.set()
                job_wrote.wait(timeout=1)
                cursor.execute("INSERT INTO saved VALUES ('user')")
        except Exception as error:  # noqa: BLE001 -- the test reports whatever stopped it
            failures.append(error)
        finally:
            user_read.set()
            handler["default"].close()

    def job_writes():
        try:
            user_read.wait(timeout=30)
            with transaction.atomic(), handler["default"].cursor() as cursor:
                cursor.execute("INSERT INTO saved VALUES ('job')")
                job_wrote.set()
        except Exception as error:  # noqa: BLE001
            failures.append(error)
        finally:
            job_wrote.set()
            handler["default"].close()

    threads = [threading.Thread(target=user_saves), threading.Thread(target=job_writes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    check = handler["default"]
    with check.cursor() as cursor:
        cursor.execute("SELECT who FROM saved ORDER BY who")
        assert [row[0] for row in cursor.fetchall()] == ["job", "user"]
    check.close()


def test_sqlite_is_set_for_concurrent_use(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    options = env_database("DATABASE_URL", "sqlite:///x.sqlite3")["OPTIONS"]
    assert "journal_mode=WAL" in options["init_command"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 10


def test_postgres_gets_no_sqlite_options(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://noc@db:5432/noc")
    assert "init_command" not in env_database("DATABASE_URL", "sqlite:///x.sqlite3").get(
        "OPTIONS", {}
    )
