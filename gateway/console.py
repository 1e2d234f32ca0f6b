"""The operator console: log in, the overview of actions with their progress and tips. The pages
around an action are in console_actions.py (new action, following one live), console_records.py
(history, CSV, audit log) and console_accounts.py (accounts, language). Pages are rendered here;
everything that changes an action goes through the API, which calls the action service."""

from __future__ import annotations

import logging
from concurrent.futures import TimeoutError as CheckTimedOut

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from sqlalchemy import select, update

from gateway import csrf, i18n
from gateway.api.events import progress
from gateway.auth import (
    HASH_SLOTS,
    allowed,
    check_password,
    console_requires,
    session_operator,
    start_session,
)
from gateway.models import Action, Operator, Tip
from gateway.runtime import of_app
from gateway.service import actions as service

bp = Blueprint("console", __name__)
log = logging.getLogger("gateway.console")

# Guessing is slow on purpose: per client address (Config.login_attempts_per_address), and per
# account with a lock-out.
ADDRESS_WINDOW = 300
# The answer when no password check can be had now: the slot is taken, or it ran out of time.
BUSY = "Het is nu erg druk; probeer het zo opnieuw."
ACCOUNT_FAILURES, ACCOUNT_LOCK = 10, 900


@bp.app_context_processor
def _template_helpers():
    return {"csrf_token": csrf.token, "t": i18n.t, "number": i18n.number, "lang": i18n.language(),
            "messages": i18n.messages, "may": _may}


def _may(permission: str) -> bool:
    operator = g.get("operator")
    return operator is not None and allowed(operator, permission)


@bp.get("/")
def home():
    return redirect(url_for("console.actions"))


def _refuse(message: str, status: int):
    return render_template("login.html", error=message), status


@bp.route("/console/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", error=None)
    # The cheapest refusal first: during a flood the one checking slot is nearly always taken.
    if not HASH_SLOTS.acquire(blocking=False):
        return _refuse(BUSY, 429)
    try:
        return _check_login()
    finally:
        HASH_SLOTS.release()


def _check_login():
    csrf.require()
    limits = of_app().limits
    username = request.form.get("username", "")[:60]
    per_address = of_app().config.login_attempts_per_address
    if not limits.allow(f"login-address:{request.remote_addr}", per_address, ADDRESS_WINDOW):
        return _refuse("Te veel inlogpogingen vanaf dit adres; probeer het over enkele minuten "
                       "opnieuw.", 429)
    failures = f"login-failures:{username}"
    if limits.count(failures) >= ACCOUNT_FAILURES:
        minutes = -(-limits.seconds_left(failures) // 60)
        log.warning("login.locked")
        return _refuse(f"Dit account is na herhaalde fouten geblokkeerd; probeer het over "
                       f"{minutes} minuten opnieuw.", 429)
    try:
        with of_app().sessions() as db:
            operator = check_password(db, username, request.form.get("password", ""))
    except CheckTimedOut:  # the low-priority checker got no CPU in time: busy, not broken
        log.warning("login.check_timed_out")
        return _refuse(BUSY, 503)
    if operator is None:
        limits.hit(failures, ACCOUNT_LOCK)
        return _refuse("Onbekende gebruikersnaam of verkeerd wachtwoord (unknown user name or "
                       "wrong password)", 401)
    limits.clear(failures)
    start_session(operator)
    # Municipality staff have no actions to see: their page is the participant registry's.
    if not allowed(operator, "actions:read") and allowed(operator, "participants:read"):
        return redirect(url_for("registry.statistics"))
    return redirect(url_for("console.actions"))


@bp.post("/console/logout")
def logout():
    csrf.require()
    with of_app().transaction() as db:
        operator = session_operator(db)
        if operator is not None:  # every copy of this session's cookie stops working too
            db.execute(update(Operator).where(Operator.id == operator.id)
                       .values(session_epoch=Operator.session_epoch + 1))
    session.clear()
    return redirect(url_for("console.login"))


@bp.get("/console")
@console_requires("actions:read")
def actions():
    with of_app().sessions() as db:
        rows = list(db.scalars(select(Action).order_by(Action.id.desc()).limit(50)))
        ids = [a.id for a in rows]
        counts = service.overview(db, ids)  # one query for all fifty, not one each
        tips: dict[int, list[Tip]] = {}
        for tip in db.scalars(select(Tip).where(Tip.action_id.in_(ids)).order_by(Tip.id)):
            tips.setdefault(tip.action_id, []).append(tip)
        unlinked = list(db.scalars(select(Tip).where(Tip.action_id.is_(None))
                                   .order_by(Tip.id.desc()).limit(50)))
    return render_template("actions.html", actions=rows, tips=tips, unlinked=unlinked,
                           progress={a: progress(c) for a, c in counts.items()},
                           operator=g.operator)


from gateway import console_accounts, console_actions, console_records  # noqa: E402,F401  (routes)
