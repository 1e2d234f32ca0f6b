"""Tips for the operators: per action and unlinked, link one to an action, mark it handled, add a
note, and play its recording through the app. A tip never shows the caller's full number: a
masked one, and a caller key that is the same for every call from that number."""

from __future__ import annotations

from collections.abc import Iterable

import requests
from flask import Response, current_app, g, jsonify, request
from sqlalchemy import select

from gateway import phones, recordings, tips
from gateway.api import bp
from gateway.api.validation import field, json_body
from gateway.auth import requires
from gateway.errors import ApiError
from gateway.models import Action, AuditEvent, Tip, utcnow
from gateway.models.action import ACTIVE, CLOSED
from gateway.runtime import of_app
from gateway.service import actions as service

PAGE = 200
MAX_NOTE = 2000
PATCHABLE = ("action_id", "handled", "note")


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def serialise_tips(db, rows: Iterable[Tip]) -> list[dict]:
    rows = list(rows)
    calls = tips.calls_per_caller(db, rows)
    secret = current_app.config["SECRET_KEY"]
    with_media = recordings.tips_with_media(db, rows)
    return [{
        "id": t.id, "action_id": t.action_id, "kind": t.kind, "channel": t.channel,
        "phone": phones.mask(t.phone) if t.phone else None,
        "caller": tips.caller_key(secret, t.phone),
        "caller_tips": calls.get((t.action_id, t.phone), 1) if t.phone else 1,
        "alerted": t.alerted_at is not None, "alerted_at": _iso(t.alerted_at),
        "body": t.body, "duration_s": t.duration_s,
        "recording_url": f"/api/tips/{t.id}/recording" if t.id in with_media else None,
        "handled": t.handled_at is not None, "handled_at": _iso(t.handled_at), "note": t.note,
        "created_at": t.created_at.isoformat(),
    } for t in rows]


def operator_line(data: dict) -> str | None:
    """An action's own operator line, as drafted: any valid number (a fixed line is fine)."""
    raw = field(data, "operator_line", str, required=False)
    if raw is None:
        return None
    try:
        return phones.normalise(raw)
    except phones.InvalidPhone as exc:
        raise ApiError(422, "operator_line", str(exc)) from None


def _flag(name: str) -> bool | None:
    value = request.args.get(name)
    if value is None:
        return None
    if value not in ("true", "false"):
        raise ApiError(422, name, "must be true or false")
    return value == "true"


def _filtered(query, handled: bool | None):
    if handled is None:
        return query
    return query.where(Tip.handled_at.is_not(None) if handled else Tip.handled_at.is_(None))


@bp.get("/tips")
@requires("actions:read")
def list_all_tips():
    """Newest first. `unlinked=true`: only tips no action could be found for (a caller we did
    not alert while several actions were active). `handled=true|false` filters on handling."""
    unlinked, handled = _flag("unlinked"), _flag("handled")
    query = _filtered(select(Tip).order_by(Tip.id.desc()).limit(PAGE), handled)
    if unlinked:
        query = query.where(Tip.action_id.is_(None))
    with of_app().sessions() as db:
        return jsonify(tips=serialise_tips(db, db.scalars(query)))


@bp.get("/actions/<int:action_id>/tips")
@requires("actions:read")
def list_tips(action_id: int):
    handled = _flag("handled")
    with of_app().sessions() as db:
        service.load(db, action_id)
        query = _filtered(select(Tip).where(Tip.action_id == action_id).order_by(Tip.id), handled)
        return jsonify(tips=serialise_tips(db, db.scalars(query)))


def _load(db, tip_id: int) -> Tip:
    tip = db.get(Tip, tip_id)
    if tip is None:
        raise ApiError(404, "tip_id", f"no tip {tip_id}")
    return tip


def _link(db, tip: Tip, data: dict) -> None:
    value = data["action_id"]
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ApiError(422, "action_id", "must be an action's id, or null to unlink")
    if value is not None:
        action = db.get(Action, value) if 0 < value < 2**31 else None
        if action is None:
            raise ApiError(422, "action_id", f"no action {value}")
        if action.status not in (ACTIVE, CLOSED):
            raise ApiError(422, "action_id", f"action {value} is {action.status}: a tip belongs "
                                             "to an action that was started")
    tip.action_id = value
    tip.alerted_at = tips.alerted_at(db, value, tip.phone)


@bp.patch("/tips/<int:tip_id>")
@requires("actions:write")
def update_tip(tip_id: int):
    """Any of: {"action_id": 12 | null, "handled": true | false, "note": "..." | null}."""
    data = json_body()
    unknown = sorted(set(data) - set(PATCHABLE))
    if unknown:
        raise ApiError(422, unknown[0], f"cannot be changed; only {', '.join(PATCHABLE)}")
    if not data:
        raise ApiError(422, None, f"give at least one of {', '.join(PATCHABLE)}")
    handled = field(data, "handled", bool, required=False)
    note = field(data, "note", str, required=False)
    if note is not None and not note.strip():
        raise ApiError(422, "note", "must not be empty (null removes the note)")
    if note is not None and len(note) > MAX_NOTE:
        raise ApiError(422, "note", f"must be at most {MAX_NOTE} characters")
    runtime = of_app()
    with runtime.transaction() as db:
        tip = _load(db, tip_id)
        before = tip.action_id
        if "action_id" in data:
            _link(db, tip, data)
        if handled is not None:
            tip.handled_at = (tip.handled_at or utcnow()) if handled else None
            tip.handled_by = g.operator.id if handled else None
        if "note" in data:
            tip.note = note.strip() if note is not None else None
        db.add(AuditEvent(operator_id=g.operator.id, action_id=tip.action_id or before,
                          event="tip.updated",
                          detail={"tip": tip.id, "changed": sorted(data), "action_before": before}))
        db.flush()
        return jsonify(serialise_tips(db, [tip])[0])


@bp.get("/tips/<int:tip_id>/recording")
@requires("actions:read")
def tip_recording(tip_id: int):
    """The recording's audio, fetched from the provider with our credentials (its media may
    need them), so the console can play it without ever holding them."""
    runtime = of_app()
    with runtime.sessions() as db:
        url = recordings.media_url(db, _load(db, tip_id))
    if url is None:
        raise ApiError(404, "recording", f"tip {tip_id} has no recording (or it was purged)")
    try:
        media = recordings.open_media(runtime, url)
    except requests.RequestException as exc:
        raise ApiError(502, "recording", f"the provider's media did not answer "
                                         f"({type(exc).__name__})") from None
    if media.status_code != 200:
        media.close()
        raise ApiError(502, "recording", f"the provider's media answered HTTP {media.status_code}")
    headers = {"Cache-Control": "private, no-store"}
    if media.headers.get("Content-Length"):
        headers["Content-Length"] = media.headers["Content-Length"]
    return Response(recordings.chunks(media), headers=headers,
                    mimetype=media.headers.get("Content-Type", "audio/wav").split(";")[0])
