"""Accounts (administrators add and disable operators) and the console's language."""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from sqlalchemy import select

from gateway import csrf, i18n
from gateway.auth import console_requires
from gateway.console import bp
from gateway.errors import ApiError
from gateway.models import Operator
from gateway.models.operator import ROLES
from gateway.runtime import of_app
from gateway.service import accounts as service

YEAR = 365 * 24 * 3600


@bp.get("/console/language/<code>")
def language(code: str):
    """Sets the `lang` cookie and goes back; only to a path of this site (never an open redirect)."""
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("console.actions")
    response = redirect(target)
    if code in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, code, max_age=YEAR, samesite="Lax", httponly=True)
    return response


def _page(status: int = 200, error: str | None = None, token: tuple[str, str] | None = None):
    with of_app().sessions() as db:
        operators = list(db.scalars(select(Operator).order_by(Operator.username)))
    return render_template("accounts.html", operators=operators, roles=ROLES, error=error,
                           token=token), status


@bp.get("/console/accounts")
@console_requires("accounts:write")
def accounts():
    return _page()


@bp.post("/console/accounts")
@console_requires("accounts:write")
def add_account():
    csrf.require()
    username = request.form.get("username", "")[:100]
    try:
        token = service.add(of_app(), g.operator.id, username, request.form.get("password", ""),
                            request.form.get("role", ""))
    except ApiError as exc:
        return _page(exc.status, f"{exc.field}: {exc.message}")
    return _page(201, token=(username.strip(), token))


@bp.post("/console/accounts/<int:operator_id>/disabled")
@console_requires("accounts:write")
def disable_account(operator_id: int):
    csrf.require()
    try:
        service.set_disabled(of_app(), g.operator.id, operator_id,
                             request.form.get("disabled") == "true")
    except ApiError as exc:
        return _page(exc.status, f"{exc.field}: {exc.message}")
    return redirect(url_for("console.accounts"))
