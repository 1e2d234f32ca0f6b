"""Operator accounts as an administrator changes them in the console: add, disable, enable.
Each change is one transaction with its audit event (no action: `action_id` stays empty)."""

from __future__ import annotations

from sqlalchemy import select, update

from gateway.auth import create_operator
from gateway.errors import ApiError
from gateway.models import AuditEvent, Operator, utcnow
from gateway.models.operator import ROLES
from gateway.runtime import Runtime

MIN_PASSWORD = 12


def add(rt: Runtime, by: int, username: str, password: str, role: str) -> str:
    """The new operator's API token (shown once; only its hash is kept)."""
    username = username.strip()
    if not username or len(username) > 60 or not username.isprintable() or " " in username:
        raise ApiError(422, "username", "must be 1 to 60 characters without spaces")
    if len(password) < MIN_PASSWORD:
        raise ApiError(422, "password", f"must be at least {MIN_PASSWORD} characters")
    if role not in ROLES:
        raise ApiError(422, "role", f"must be one of {', '.join(ROLES)}")
    with rt.transaction() as db:
        if db.scalar(select(Operator.id).where(Operator.username == username)) is not None:
            raise ApiError(409, "username", "is taken")
        operator, token = create_operator(db, username, password, role)
        db.add(AuditEvent(operator_id=by, event="account.created",
                          detail={"username": username, "role": role}))
    return token


def set_disabled(rt: Runtime, by: int, operator_id: int, disabled: bool) -> None:
    """Disabling ends the operator's sessions and token at once; their history stays. Enabled
    again, they log in with their password; a token needs `burgernet rotate-token`."""
    if disabled and operator_id == by:
        raise ApiError(409, "operator_id", "you cannot disable your own account")
    with rt.transaction() as db:
        operator = db.get(Operator, operator_id)
        if operator is None:
            raise ApiError(404, "operator_id", "no such operator")
        values: dict = {"session_epoch": Operator.session_epoch + 1}
        if disabled:
            values.update(disabled_at=utcnow(), token_hash=None)
        else:
            values["disabled_at"] = None
        db.execute(update(Operator).where(Operator.id == operator_id).values(**values))
        db.add(AuditEvent(operator_id=by, event="account.disabled" if disabled else "account.enabled",
                          detail={"username": operator.username}))
