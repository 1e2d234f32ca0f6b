"""Municipality staff's console page for neighbourhood groups: the groups by status with their
administrators, overlaps and size warnings; approve or stop a group; move sign and sticker
requests on. The same services as the API (gateway/service/groups.py, supplies.py), and the same
texts to the administrator."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from gateway import csrf
from gateway.auth import allowed, console_requires
from gateway.errors import ApiError
from gateway.models import Group, SupplyRequest
from gateway.models import group as states
from gateway.runtime import of_app
from gateway.service import groups as service
from gateway.service import supplies

bp = Blueprint("group_console", __name__, url_prefix="/console/groups")


@bp.get("")
@console_requires("groups:read")
def overview(error: str | None = None, status: int = 200):
    with of_app().sessions() as db:
        groups = db.scalars(select(Group).options(selectinload(Group.administrator))
                            .order_by(Group.status, Group.name)).all()
        notes = {group.id: service.notes(db, group) for group in groups}
        names = {group.id: group.name for group in groups}
        requests = db.scalars(select(SupplyRequest).order_by(SupplyRequest.id.desc())).all()
    return render_template("group_console.html", groups=groups, notes=notes, names=names,
                           requests=requests, operator=g.operator, error=error,
                           can_write=allowed(g.operator, "groups:write"),
                           csrf_token=csrf.token), status


def _change(apply):
    """Run one change for staff who may write; an ApiError is shown at the top of the page."""
    if not allowed(g.operator, "groups:write"):
        return overview(error=f"the role {g.operator.role} may not change groups", status=403)
    csrf.require()
    rt = of_app()
    try:
        with rt.transaction() as db:
            message_id = apply(db)
    except ApiError as exc:
        return overview(error=exc.message, status=exc.status)
    if message_id is not None:
        supplies.enqueue(rt, message_id)
    return redirect(url_for("group_console.overview"))


def _group(db, group_id: int) -> Group:
    group = db.get(Group, group_id)
    if group is None:
        raise ApiError(404, "group_id", "no such group")
    return group


@bp.post("/<int:group_id>/approve")
@console_requires("groups:read")
def approve(group_id: int):
    def apply(db):
        group = _group(db, group_id)
        service.approve(db, group, g.operator.id)
        return supplies.approval_message(db, group)
    return _change(apply)


@bp.post("/<int:group_id>/stop")
@console_requires("groups:read")
def stop(group_id: int):
    def apply(db):
        group = _group(db, group_id)
        group.status = states.INACTIVE
        service.audit(db, group, g.operator.id, "group.stopped")
    return _change(apply)


@bp.post("/supplies/<int:request_id>/<any(approved, delivered):step>")
@console_requires("groups:read")
def supply_step(request_id: int, step: str):
    def apply(db):
        supply = db.get(SupplyRequest, request_id)
        if supply is None:
            raise ApiError(404, "request_id", "no such request")
        return supplies.advance(db, supply, step, g.operator.id)
    return _change(apply)
