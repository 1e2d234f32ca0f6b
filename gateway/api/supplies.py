"""Street signs and door stickers for active neighbourhood groups: staff enter requests for an
administrator (who can also ask on their own page, /buurtpreventie/beheer/...) and move them
new -> approved -> delivered; the administrator gets an SMS at each step. The rules are in
gateway/service/supplies.py."""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from gateway.api import bp
from gateway.api.groups import _group
from gateway.api.validation import json_body
from gateway.auth import requires
from gateway.errors import ApiError
from gateway.models import SupplyRequest
from gateway.models import group as states
from gateway.runtime import of_app
from gateway.service import supplies


@bp.post("/groups/<int:group_id>/supplies")
@requires("groups:write")
def request_supplies(group_id: int):
    rt = of_app()
    data = supplies.read(json_body())
    with rt.transaction() as db:
        supply, message_id = supplies.create(db, _group(db, group_id), data, g.operator.id)
        body = supplies.serialise(supply)
    supplies.enqueue(rt, message_id)
    return jsonify(body), 201


@bp.get("/groups/<int:group_id>/supplies")
@requires("groups:read")
def group_supplies(group_id: int):
    with of_app().sessions() as db:
        _group(db, group_id)
        rows = db.scalars(select(SupplyRequest).where(SupplyRequest.group_id == group_id)
                          .order_by(SupplyRequest.id))
        return jsonify(requests=[supplies.serialise(r) for r in rows])


@bp.get("/supplies")
@requires("groups:read")
def list_supplies():
    status = request.args.get("status")
    if status is not None and status not in states.SUPPLY_STATUSES:
        raise ApiError(422, "status", f"must be one of {', '.join(states.SUPPLY_STATUSES)}")
    query = select(SupplyRequest).order_by(SupplyRequest.id)
    if status:
        query = query.where(SupplyRequest.status == status)
    with of_app().sessions() as db:
        return jsonify(requests=[supplies.serialise(r) for r in db.scalars(query)])


def _advance(request_id: int, to: str):
    rt = of_app()
    with rt.transaction() as db:
        supply = db.get(SupplyRequest, request_id)
        if supply is None:
            raise ApiError(404, "request_id", "no such request")
        message_id = supplies.advance(db, supply, to, g.operator.id)
        body = supplies.serialise(supply)
    supplies.enqueue(rt, message_id)
    return jsonify(body)


@bp.post("/supplies/<int:request_id>/approve")
@requires("groups:write")
def approve_supplies(request_id: int):
    return _advance(request_id, states.APPROVED)


@bp.post("/supplies/<int:request_id>/deliver")
@requires("groups:write")
def deliver_supplies(request_id: int):
    return _advance(request_id, states.DELIVERED)
