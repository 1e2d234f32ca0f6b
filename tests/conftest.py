"""Fixtures: every database test runs on SQLite and on PostgreSQL, against real Redis."""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
from sqlalchemy import text

from gateway import create_app
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
        if rt.engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
    runtime_module.install(rt)
    yield rt
    runtime_module.install(None)
    for key in rt.redis.scan_iter(f"rq:*{config.queue_prefix}*"):
        rt.redis.delete(key)
    rt.engine.dispose()


@pytest.fixture
def app(runtime):
    return create_app(runtime=runtime)


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
