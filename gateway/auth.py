"""Operators: argon2 password hashes for the console, random bearer tokens for the API."""

from __future__ import annotations

import hashlib
import secrets
from functools import wraps

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from flask import g, request, session
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.errors import ApiError
from gateway.models import Operator
from gateway.runtime import of_app

_hasher = PasswordHasher()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_operator(db: Session, username: str, password: str, role: str = "operator",
                    token: str | None = None) -> tuple[Operator, str]:
    """Returns the operator and its API token; only the token's hash is stored."""
    token = token or secrets.token_urlsafe(32)
    operator = Operator(username=username, password_hash=_hasher.hash(password),
                        token_hash=token_hash(token), role=role)
    db.add(operator)
    db.flush()
    return operator, token


def check_password(db: Session, username: str, password: str) -> Operator | None:
    operator = db.scalar(select(Operator).where(Operator.username == username))
    if operator is None:
        _hasher.hash(password)  # same time spent for unknown users: no username probing
        return None
    try:
        _hasher.verify(operator.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    return operator


def _operator_from_request(db: Session) -> Operator | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return db.scalar(select(Operator).where(
            Operator.token_hash == token_hash(header.removeprefix("Bearer ").strip())))
    if session.get("operator_id"):  # the console, logged in with a password
        return db.get(Operator, session["operator_id"])
    return None


def operator_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        runtime = of_app()
        with runtime.sessions() as db:
            operator = _operator_from_request(db)
        if operator is None:
            raise ApiError(401, "Authorization", "an operator token is required (Bearer)")
        g.operator = operator
        return view(*args, **kwargs)
    return wrapper
