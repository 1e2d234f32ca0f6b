"""CSRF protection for everything authorised by the console's session cookie: the token lives in
the session and must come back with each state change, as a form field or a header. Bearer-token
API calls need none (a browser never adds that header by itself)."""

from __future__ import annotations

import hmac
import secrets

from flask import request, session

from gateway.errors import ApiError

FIELD, HEADER = "csrf_token", "X-CSRF-Token"


def token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def require() -> None:
    sent = request.headers.get(HEADER) or request.form.get(FIELD) or ""
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise ApiError(403, FIELD, "a CSRF token is required for this request")
