"""Actions over HTTP: the views translate JSON to calls of the action service and back."""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from gateway import areas
from gateway.api import bp
from gateway.api.tips import operator_line, serialise_tips
from gateway.api.validation import field, json_body
from gateway.auth import requires
from gateway.dispatch import deliveries
from gateway.errors import ApiError
from gateway.models import Action, ActionUpdate, Tip
from gateway.models.action import DRAFT
from gateway.runtime import of_app
from gateway.service import actions as service


def serialise(action: Action, compact: bool = False) -> dict:
    """`compact` (lists): each area as a summary, so a page of polygons stays small."""
    shown = areas.summary if compact else (lambda area: area)
    return {
        "id": action.id,
        "incident_type": action.incident_type,
        "description": action.description,
        "area": shown(action.area),
        "areas": [shown(a) for a in action.areas],
        "consent_recorded": action.consent_recorded,
        "groups": action.groups,
        "operator_line": action.operator_line,
        "status": action.status,
        "outcome": action.outcome,
        "created_at": action.created_at.isoformat(),
        "started_at": action.started_at.isoformat() if action.started_at else None,
        "closed_at": action.closed_at.isoformat() if action.closed_at else None,
    }


def _confirm() -> bool:
    if not request.get_data():
        return False
    return field(json_body(), "confirm", bool, required=False, default=False)


@bp.post("/actions")
@requires("actions:write")
def create_action():
    data = json_body()
    action = service.draft(of_app(), g.operator.id, data.get("incident_type"),
                           data.get("description"), data.get("area"),
                           field(data, "consent", bool, required=False, default=False),
                           operator_line(data), data.get("groups"))
    return jsonify({**serialise(action), "preview": action.preview}), 201


@bp.get("/actions")
@requires("actions:read")
def list_actions():
    with of_app().sessions() as db:
        actions = db.scalars(select(Action).order_by(Action.id.desc()).limit(100))
        return jsonify(actions=[serialise(a, compact=True) for a in actions])


@bp.get("/actions/<int:action_id>")
@requires("actions:read")
def get_action(action_id: int):
    with of_app().sessions() as db:
        action = service.load(db, action_id)
        body = serialise(action)
        if action.status == DRAFT:
            body["preview"] = action.preview  # computed once, when drafted
        body["deliveries"] = deliveries.counts(db, [action_id])[action_id]
        body["groups_reached"] = deliveries.groups_reached(db, action_id)
        body["tips"] = serialise_tips(db, db.scalars(
            select(Tip).where(Tip.action_id == action_id).order_by(Tip.id)))
        body["updates"] = [{"id": u.id, "text": u.text, "created_at": u.created_at.isoformat()}
                           for u in db.scalars(select(ActionUpdate).where(
                               ActionUpdate.action_id == action_id).order_by(ActionUpdate.id))]
    return jsonify(body)


@bp.post("/actions/<int:action_id>/start")
@requires("actions:write")
def start_action(action_id: int):
    action = service.start(of_app(), g.operator.id, action_id, confirm=_confirm())
    return jsonify(serialise(action)), 202


@bp.post("/actions/<int:action_id>/widen")
@requires("actions:write")
def widen_action(action_id: int):
    data = json_body()
    action, added = service.widen(of_app(), g.operator.id, action_id, data.get("area"))
    return jsonify({**serialise(action), "added": added}), 202


@bp.post("/actions/<int:action_id>/update")
@requires("actions:write")
def update_action(action_id: int):
    data = json_body()
    message = service.update(of_app(), g.operator.id, action_id, data.get("text"))
    return jsonify({"id": message.id, "action_id": action_id, "text": message.text,
                    "created_at": message.created_at.isoformat()}), 202


@bp.post("/actions/<int:action_id>/close")
@requires("actions:write")
def close_action(action_id: int):
    data = json_body()
    if "outcome" not in data:
        raise ApiError(422, "outcome", "is required")
    action = service.close(of_app(), g.operator.id, action_id, data.get("outcome"))
    return jsonify(serialise(action)), 202


@bp.delete("/actions/<int:action_id>")
@requires("actions:write")
def discard_action(action_id: int):
    return jsonify(serialise(service.discard(of_app(), g.operator.id, action_id)))
