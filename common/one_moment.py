"""A page whose several queries must agree (a campaign's waves, its outcome counts and its
devices) reads the database as of one moment, while a worker commits between them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def one_moment() -> Iterator[None]:
    """On PostgreSQL: one REPEATABLE READ transaction around the block. Inside a transaction
    already (a test's) the block joins it. On SQLite nothing: its transactions take the write
    lock when they start (config/env.py), which a page that only reads must not wait for."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield
