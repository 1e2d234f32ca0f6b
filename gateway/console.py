"""The operator console: log in, see actions with their progress and tips, create, start and
close. Server-rendered and small; the map and live updates come with ROADMAP 4."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from sqlalchemy import select

from gateway.auth import check_password
from gateway.models import Action, Tip
from gateway.runtime import of_app
from gateway.service import actions as service

bp = Blueprint("console", __name__)


@bp.get("/")
def home():
    return redirect(url_for("console.actions"))


@bp.route("/console/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        with of_app().sessions() as db:
            operator = check_password(db, request.form.get("username", ""),
                                      request.form.get("password", ""))
        if operator:
            session.clear()
            session["operator_id"] = operator.id
            return redirect(url_for("console.actions"))
        error = "Unknown user name or wrong password"
    return render_template("login.html", error=error), (401 if error else 200)


@bp.post("/console/logout")
def logout():
    session.clear()
    return redirect(url_for("console.login"))


@bp.get("/console")
def actions():
    if not session.get("operator_id"):
        return redirect(url_for("console.login"))
    with of_app().sessions() as db:
        rows = list(db.scalars(select(Action).order_by(Action.id.desc()).limit(50)))
        ids = [a.id for a in rows]
        counts = service.overview(db, ids)  # one query for all fifty, not one each
        tips: dict[int, list[Tip]] = {}
        for tip in db.scalars(select(Tip).where(Tip.action_id.in_(ids)).order_by(Tip.id)):
            tips.setdefault(tip.action_id, []).append(tip)
    return render_template("actions.html", actions=rows, counts=counts, tips=tips)
