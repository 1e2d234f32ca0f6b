"""Pooled PostgreSQL connections: one that the server dropped while it sat idle is replaced
before use, without a ping on every checkout."""

from __future__ import annotations

import os

import psycopg
import pytest
from sqlalchemy import text

from gateway import db as db_module
from tests.conftest import POSTGRES_ADMIN, _drop_postgres_database, _postgres_database


@pytest.fixture(scope="module")
def postgres_url():
    """A database of its own: SQLite has no server that could drop a connection."""
    name = f"burgernet_test_pool_{os.getpid()}"
    yield _postgres_database(name)
    _drop_postgres_database(name)


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def _terminate(pid: int) -> None:
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_dropped_while_idle_is_replaced(postgres_url, monkeypatch):
    engine = db_module.make_engine(postgres_url)
    first = _backend_pid(engine)
    _terminate(first)
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)  # it has been idle "long"
    assert _backend_pid(engine) != first  # no error: the pool noticed and reconnected
    engine.dispose()


def test_a_connection_just_used_is_not_pinged(postgres_url, monkeypatch):
    engine = db_module.make_engine(postgres_url)
    first = _backend_pid(engine)
    _terminate(first)
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 3600.0)
    # Used a moment ago: no round trip to check it, so the drop shows on first use (the price
    # of not pinging; a drop while busy fails one request, and the next one reconnects).
    with pytest.raises(Exception, match="terminat|closed|server"):
        _backend_pid(engine)
    assert _backend_pid(engine) != first
    engine.dispose()
