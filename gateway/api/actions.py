"""Actions: draft with a preview of who would be reached, start, overview, close."""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from gateway import areas
from gateway.api import bp
from gateway.api.validation import choice, field, json_body, text
from gateway.auth import operator_required
from gateway.dispatch import deliveries, selection
from gateway.errors import ApiError
from gateway.models import Action, AuditEvent, Tip, utcnow
from gateway.models.action import ACTIVE, CLOSED, DRAFT, INCIDENT_TYPES
from gateway.runtime import of_app

MAX_DESCRIPTION = 600
MAX_OUTCOME = 300
# Above this many recipients the start request must say {"confirm": true}: sending to tens of
# thousands of people by a slip of the mouse must be hard.
CONFIRM_ABOVE = 1000


def serialise(action: Action) -> dict:
    return {
        "id": action.id,
        "incident_type": action.incident_type,
        "description": action.description,
        "area": action.area,
        "status": action.status,
        "outcome": action.outcome,
        "created_at": action.created_at.isoformat(),
        "started_at": action.started_at.isoformat() if action.started_at else None,
        "closed_at": action.closed_at.isoformat() if action.closed_at else None,
    }


def serialise_tip(tip: Tip) -> dict:
    return {"id": tip.id, "action_id": tip.action_id, "kind": tip.kind, "phone": tip.phone,
            "body": tip.body, "recording_url": tip.recording_url, "duration_s": tip.duration_s,
            "created_at": tip.created_at.isoformat()}


def _parse_area(data: dict) -> areas.Area:
    try:
        return areas.parse(field(data, "area", dict))
    except areas.InvalidArea as exc:
        raise ApiError(422, "area", str(exc)) from None


def _load(db, action_id: int, lock: bool = False) -> Action:
    query = select(Action).where(Action.id == action_id)
    action = db.scalar(query.with_for_update() if lock else query)
    if action is None:
        raise ApiError(404, "action_id", "no such action")
    return action


def _audit(db, action: Action, event: str, **detail) -> None:
    db.add(AuditEvent(operator_id=g.operator.id, action_id=action.id, event=event, detail=detail))


@bp.post("/actions")
@operator_required
def create_action():
    data = json_body()
    incident_type = choice(data, "incident_type", INCIDENT_TYPES)
    description = text(data, "description", MAX_DESCRIPTION)
    area = _parse_area(data)
    with of_app().transaction() as db:
        action = Action(incident_type=incident_type, description=description, area=area.geojson,
                        status=DRAFT, created_by=g.operator.id)
        db.add(action)
        db.flush()
        _audit(db, action, "action.created")
        body = {**serialise(action), "preview": selection.preview(db, area)}
    return jsonify(body), 201


@bp.get("/actions")
@operator_required
def list_actions():
    with of_app().sessions() as db:
        actions = db.scalars(select(Action).order_by(Action.id.desc()).limit(100))
        return jsonify(actions=[serialise(a) for a in actions])


@bp.get("/actions/<int:action_id>")
@operator_required
def get_action(action_id: int):
    with of_app().sessions() as db:
        action = _load(db, action_id)
        body = serialise(action)
        if action.status == DRAFT:
            body["preview"] = selection.preview(db, areas.parse(action.area))
        body["deliveries"] = deliveries.counts(db, action_id)
        tips = db.scalars(select(Tip).where(Tip.action_id == action_id).order_by(Tip.id))
        body["tips"] = [serialise_tip(t) for t in tips]
    return jsonify(body)


@bp.get("/actions/<int:action_id>/tips")
@operator_required
def list_tips(action_id: int):
    with of_app().sessions() as db:
        _load(db, action_id)
        tips = db.scalars(select(Tip).where(Tip.action_id == action_id).order_by(Tip.id))
        return jsonify(tips=[serialise_tip(t) for t in tips])


@bp.post("/actions/<int:action_id>/start")
@operator_required
def start_action(action_id: int):
    data = request.get_json(silent=True) or {}
    confirm = data.get("confirm") is True
    with of_app().transaction() as db:
        action = _load(db, action_id, lock=True)
        if action.status != DRAFT:
            raise ApiError(409, "status", f"only a draft can be started; this one is {action.status}")
        preview = selection.preview(db, areas.parse(action.area))
        if preview["total"] > CONFIRM_ABOVE and not confirm:
            raise ApiError(409, "confirm", f"this reaches {preview['total']} participants; "
                                           "repeat with {\"confirm\": true} to send")
        action.status, action.started_at = ACTIVE, utcnow()
        _audit(db, action, "action.started", expected_recipients=preview["total"])
        body = serialise(action)
    of_app().jobs.start_action(action_id)  # after the commit: the job must find it active
    return jsonify(body), 202


@bp.post("/actions/<int:action_id>/close")
@operator_required
def close_action(action_id: int):
    data = json_body()
    outcome = text(data, "outcome", MAX_OUTCOME)
    with of_app().transaction() as db:
        action = _load(db, action_id, lock=True)
        if action.status == CLOSED:
            raise ApiError(409, "status", "this action is already closed")
        was_active = action.status == ACTIVE
        action.status, action.outcome, action.closed_at = CLOSED, outcome, utcnow()
        _audit(db, action, "action.closed", outcome=outcome)
        body = serialise(action)
    if was_active:
        of_app().jobs.close_action(action_id)
    return jsonify(body), 202
