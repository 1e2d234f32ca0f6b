"""Who may do what. Operators log in to the console with a password (argon2) or call the API with
a bearer token; each has one role, and every API route and console page names the permission it
needs. Console sessions die on logout and when the operator is disabled."""

from __future__ import annotations

import hashlib
import secrets
import threading
from functools import wraps

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import csrf, passwords
from gateway.errors import ApiError
from gateway.models import Operator
from gateway.models.operator import ROLES
from gateway.runtime import of_app

PERMISSIONS = {
    "actions:read": {"viewer", "operator", "supervisor", "admin"},
    "actions:write": {"operator", "supervisor", "admin"},
    "participants:read": {"municipality", "admin"},
    "participants:write": {"municipality", "admin"},
    "audit:read": {"supervisor", "admin"},
    "accounts:write": {"admin"},
    # Neighbourhood groups: municipality staff keep them; the control room may look them up.
    "groups:read": {"operator", "supervisor", "municipality", "admin"},
    "groups:write": {"municipality", "admin"},
}
# One password check at a time per web process (they run in a low-priority helper process, see
# gateway/passwords.py); a login that finds the slot taken is told to try again, at once, rather
# than holding a web thread that a webhook needs.
HASH_SLOTS = threading.BoundedSemaphore(1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_operator(db: Session, username: str, password: str, role: str = "operator",
                    token: str | None = None) -> tuple[Operator, str]:
    """Returns the operator and its API token; only the token's hash is stored."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    token = token or secrets.token_urlsafe(32)
    operator = Operator(username=username, password_hash=passwords.hash_password(password),
                        token_hash=token_hash(token), role=role)
    db.add(operator)
    db.flush()
    return operator, token


def check_password(db: Session, username: str, password: str) -> Operator | None:
    """The operator, if the password is right and the operator not disabled."""
    operator = db.scalar(select(Operator).where(Operator.username == username))
    right = passwords.verify(operator.password_hash if operator else None, password)
    return operator if right and not operator.disabled_at else None


def start_session(operator: Operator) -> None:
    session.clear()
    session["operator_id"] = operator.id
    session["epoch"] = operator.session_epoch
    csrf.token()  # a fresh CSRF token for the new session


def session_operator(db: Session) -> Operator | None:
    """The operator of a console session, if that session is still valid."""
    operator_id = session.get("operator_id")
    if not operator_id:
        return None
    operator = db.get(Operator, operator_id)
    if operator is None or operator.disabled_at or operator.session_epoch != session.get("epoch"):
        session.clear()
        return None
    return operator


def _operator_from_request(db: Session) -> tuple[Operator | None, bool]:
    """(operator, by_cookie)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        operator = db.scalar(select(Operator).where(
            Operator.token_hash == token_hash(header.removeprefix("Bearer ").strip())))
        return (None if operator is None or operator.disabled_at else operator), False
    return session_operator(db), True


def allowed(operator: Operator, permission: str) -> bool:
    return operator.role in PERMISSIONS[permission]


def requires(permission: str):
    """An API route that needs `permission`. 401 without a valid token or session, 403 for a
    role without it; a state change by session cookie must carry the CSRF token."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            with of_app().sessions() as db:
                operator, by_cookie = _operator_from_request(db)
            if operator is None:
                raise ApiError(401, "Authorization", "an operator token is required (Bearer)")
            if not allowed(operator, permission):
                raise ApiError(403, "role", f"the role {operator.role} may not do this "
                                            f"({permission})")
            if by_cookie and request.method not in ("GET", "HEAD", "OPTIONS"):
                csrf.require()
            g.operator = operator
            return view(*args, **kwargs)
        return wrapper
    return decorate


def console_requires(permission: str):
    """A console page: the login page without a session, 403 for a role without it."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            with of_app().sessions() as db:
                operator = session_operator(db)
            if operator is None:
                return redirect(url_for("console.login"))
            if not allowed(operator, permission):
                abort(403, description=f"the role {operator.role} may not see this page")
            g.operator = operator
            return view(*args, **kwargs)
        return wrapper
    return decorate
