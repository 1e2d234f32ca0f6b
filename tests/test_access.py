"""Roles on every API route, CSRF on cookie-authorised state changes, body size limits."""

from __future__ import annotations

import pytest

from gateway.auth import PERMISSIONS, create_operator
from tests import factories


@pytest.fixture
def as_role(runtime):
    def make(role: str) -> dict:
        with runtime.transaction() as db:
            _, token = create_operator(db, f"user-{role}", "a long enough password", role=role)
        return {"Authorization": f"Bearer {token}"}
    return make


ROUTES = [  # (method, path, body, permission)
    ("GET", "/api/actions", None, "actions:read"),
    ("GET", "/api/tips?unlinked=true", None, "actions:read"),
    ("POST", "/api/actions", {"incident_type": "burglary", "description": "Man",
                              "area": factories.circle()}, "actions:write"),
    ("GET", "/api/participants/1", None, "participants:read"),
    ("POST", "/api/participants", {"phone": "0612345678", "addresses": [
        {"lat": 52.06, "lon": 4.49, "channel": "sms"}]}, "participants:write"),
    ("GET", "/api/participants/1/export", None, "participants:read"),
    ("GET", "/api/participants/statistics", None, "participants:read"),
    ("DELETE", "/api/participants/1", None, "participants:write"),  # last: it erases number 1
]


@pytest.mark.parametrize("role", ["viewer", "operator", "supervisor", "admin", "municipality"])
def test_every_role_gets_what_it_may_and_nothing_else(client, as_role, runtime, role):
    headers = as_role(role)
    with runtime.transaction() as db:
        factories.participant(db, "+31600000001")
    for method, path, body, permission in ROUTES:
        response = client.open(path, method=method, json=body, headers=headers)
        if role in PERMISSIONS[permission]:
            assert response.status_code in (200, 201), (role, path, response.json)
        else:
            assert response.status_code == 403, (role, path)
            assert response.json["error"]["field"] == "role"


def test_a_viewer_cannot_start_or_close(client, as_role, auth):
    action = client.post("/api/actions", headers=auth, json={
        "incident_type": "robbery", "description": "Twee mannen", "area": factories.circle()}).json
    viewer = as_role("viewer")
    assert client.post(f"/api/actions/{action['id']}/start", headers=viewer).status_code == 403
    assert client.get(f"/api/actions/{action['id']}", headers=viewer).json["status"] == "draft"


def test_a_cookie_session_must_send_the_csrf_token_to_change_anything(client, token):
    from tests.test_console import csrf_of, log_in
    log_in(client)
    body = {"incident_type": "robbery", "description": "Twee mannen", "area": factories.circle()}
    forged = client.post("/api/actions", json=body)  # what a cross-site page could send
    assert forged.status_code == 403 and forged.json["error"]["field"] == "csrf_token"
    token_value = csrf_of(client, "/console")
    made = client.post("/api/actions", json=body, headers={"X-CSRF-Token": token_value})
    assert made.status_code == 201


def test_bodies_over_the_limit_are_refused_before_they_are_read(client, auth, config):
    big = b"x" * (1024 * 1024 + 1)
    response = client.post("/api/actions", data=big, headers={
        **auth, "Content-Type": "application/json"})
    assert response.status_code == 413
    webhook = client.post("/twilio/sms/inbound", data=b"Body=" + b"x" * 70_000, headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert webhook.status_code == 413


def test_sql_errors_do_not_carry_personal_data_into_a_log(runtime):
    """SQLAlchemy hides the parameters, but PostgreSQL names a duplicate key in its message:
    every log line goes through a formatter that masks numbers, tracebacks included."""
    import io
    import logging

    from sqlalchemy.exc import IntegrityError

    from gateway.logs import FORMAT, MaskingFormatter
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(MaskingFormatter(FORMAT))
    logger = logging.getLogger("test.pii")
    logger.addHandler(handler)
    with runtime.transaction() as db:
        factories.participant(db, "+31611112222")
    with pytest.raises(IntegrityError) as error:
        with runtime.transaction() as db:
            factories.participant(db, "+31611112222")
    assert "SQL parameters hidden" in str(error.value)
    try:
        raise error.value
    except IntegrityError:
        logger.exception("insert failed for 0611112222 / whatsapp:+31611112222")
    logger.removeHandler(handler)
    logged = stream.getvalue()
    assert "insert failed" in logged and "+316*****222" in logged
    assert "11112222" not in logged


def test_disable_and_rotate_from_the_command_line(tmp_path):
    """An operator who leaves is disabled (history kept, token and sessions dead); a leaked
    token is rotated."""
    import os
    import re

    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from gateway.auth import token_hash
    from gateway.models import Operator
    from tests.test_cli import burgernet
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    burgernet("migrate", env=env)
    first = re.search(r"\(shown once\): (\S+)", burgernet(
        "create-operator", "bakker", "--password", "s3cret-enough", "--role", "viewer",
        env=env)).group(1)
    second = re.search(r"no longer works\): (\S+)", burgernet(
        "rotate-token", "bakker", env=env)).group(1)
    assert "disabled" in burgernet("disable-operator", "bakker", env=env)
    engine = create_engine(env["DATABASE_URL"])
    with Session(engine) as db:
        operator = db.scalar(select(Operator).where(Operator.username == "bakker"))
        assert operator.disabled_at is not None and operator.token_hash is None
        assert operator.session_epoch == 1 and token_hash(second) != token_hash(first)
    engine.dispose()


def test_limits_read_as_zero_while_redis_is_away():
    """Floods are limited in Redis; without Redis a login or a tip is let through, not a 500."""
    from redis import Redis

    from gateway.limits import Counters
    # Made as the runtime makes its client (gateway/runtime.py), nothing listening there.
    away = Counters(Redis.from_url("redis://127.0.0.1:1/0"), "test")
    assert away.allow("x", 1, 60) and away.count("x") == 0 and away.seconds_left("x") == 0
    away.clear("x")
