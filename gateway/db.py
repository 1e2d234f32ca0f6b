"""Engine and session factory; one per process, created explicitly (never at import)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool


def make_engine(url: str, pooled: bool = True) -> Engine:
    if url.startswith("sqlite"):
        # Web, worker and callbacks write concurrently: WAL lets readers go on while one
        # writer holds the lock, and busy_timeout makes a writer wait instead of failing.
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            hide_parameters=True,
            **({} if pooled else {"poolclass": NullPool}),
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _record):
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
            _math_functions(conn)

        return engine
    # hide_parameters: an error's message must not carry phone numbers or SMS bodies into a log.
    # jit off: compiling a query takes a third of a second, and PostgreSQL turns it on whenever
    # its cost estimate is high, which for selection's cell ranges it always is (wrongly).
    options = {"hide_parameters": True, "connect_args": {"options": "-c jit=off"}}
    if not pooled:
        return create_engine(url, poolclass=NullPool, **options)
    engine = create_engine(url, pool_size=10, max_overflow=10, **options)
    _ping_when_idle(engine)
    return engine


# A pooled connection that sat unused this long is tested before use (a database restart or a
# firewall may have dropped it). Pinging every checkout, as pool_pre_ping does, cost a fifth of
# each status callback: one more round trip for a connection used a millisecond ago.
PING_AFTER_IDLE_SECONDS = 2.0


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get("checked_in", 0.0) < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dbapi_connection.execute("SELECT 1")
            dbapi_connection.rollback()
        except psycopg.OperationalError as exc:
            # The pool discards this connection and checks out another (a new one if need be).
            raise DisconnectionError() from exc


def _math_functions(conn) -> None:
    """SQLite builds without math functions (before 3.35, or built without them) get Python's:
    the grid cell column and the exact circle test use them."""
    try:
        conn.execute("SELECT floor(1.5), sin(1), cos(1), radians(1), power(2, 2)")
    except Exception:  # sqlite3.OperationalError: no such function
        for name, arity, fn in (("floor", 1, math.floor), ("sin", 1, math.sin), ("cos", 1, math.cos),
                                ("radians", 1, math.radians), ("power", 2, math.pow)):
            conn.create_function(name, arity, fn, deterministic=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error: nothing half-written."""
    with factory() as session, session.begin():
        yield session
