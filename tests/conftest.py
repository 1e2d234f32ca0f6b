"""Fixtures: every database test runs on SQLite and on PostgreSQL, against real Redis."""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from gateway import create_app, passwords
from gateway import runtime as runtime_module
from gateway.auth import create_operator
from gateway.config import Config
from gateway.migrate import upgrade
from gateway.models import Base
from gateway.runtime import Runtime

pytest_plugins = ["tests.live"]  # the `live` fixture: gateway and simulator over real HTTP

POSTGRES_ADMIN = os.environ.get("TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PUBLIC_BASE_URL = "http://gateway.test"

# argon2 at its production cost takes about 0.14 s a hash, and most tests make an operator. The
# suite's operators get cheap hashes; checking one reads the cost from the hash itself, so logins
# stay real everywhere (also in the web processes the live tests start), and the password checks
# of unknown users keep the production cost.
passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _drop_postgres_database(name: str) -> None:
    # FORCE: a pool or a process that a test left behind may still hold a connection.
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_database(name: str) -> str:
    _drop_postgres_database(name)
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """A migrated database of each kind, made once per test session (migrations are tested too)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db')}/test.db"
    else:
        name = f"burgernet_test_{os.getpid()}"
        url = _postgres_database(name)
        # Dropped when the session is done with it: every run would otherwise leave one behind.
        request.addfinalizer(lambda: _drop_postgres_database(name))
    upgrade(url)
    return url


@pytest.fixture
def config(database_url) -> Config:
    return Config(
        testing=True, database_url=database_url, redis_url=REDIS_URL,
        queue_prefix=f"test-{uuid.uuid4().hex[:8]}", public_base_url=PUBLIC_BASE_URL,
        secret_key="test-secret", verify_after_seconds=0,
    )


@pytest.fixture
def runtime(config):
    rt = Runtime.from_config(config)
    with rt.engine.begin() as conn:
        # DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE's new files for thirty
        # tables cost 0.1 s a test on PostgreSQL. Ids start at 1 again on both databases.
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        if rt.engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c "
                              "WHERE c.relkind = 'S'"))
    runtime_module.install(rt)
    yield rt
    runtime_module.install(None)
    # Everything this test left in Redis: its queues (rq:…prefix…) and its counters (prefix:…).
    # One SCAN call a few thousand keys wide; at redis-py's default of ten keys a call, the
    # keys that other tests' counters keep for an hour made this 70 ms a test.
    leftovers = list(rt.redis.scan_iter(f"*{config.queue_prefix}*", count=100_000))
    if leftovers:
        rt.redis.delete(*leftovers)
    rt.engine.dispose()


_apps: dict[tuple, object] = {}


@pytest.fixture
def app(runtime):
    """The Flask app on this test's runtime. Building one compiles every route (0.1 s), so one
    is built per database and settings it bakes in, and given each test's runtime."""
    config = runtime.config
    key = (config.database_url, config.secret_key, config.public_base_url)
    if key not in _apps:
        made = create_app(runtime=runtime)
        _apps[key] = (made, dict(made.extensions))
    app, extensions = _apps[key]
    # What a test left in the app's extensions (per-process caches) goes with it.
    app.extensions.clear()
    app.extensions.update(extensions, burgernet=runtime)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def token(runtime):
    with runtime.transaction() as db:
        _, token = create_operator(db, "centralist", "correct horse battery staple")
    return token


@pytest.fixture
def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def staff_token(runtime):
    """Municipality staff: they keep the participant registry."""
    with runtime.transaction() as db:
        _, token = create_operator(db, "gemeente", "another horse battery staple",
                                   role="municipality")
    return token


@pytest.fixture
def staff_auth(staff_token):
    return {"Authorization": f"Bearer {staff_token}"}
