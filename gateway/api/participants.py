"""Participants kept by operators and municipality staff, who vouch for them (stored verified).
Self-service registration with an SMS code is in gateway/api/registrations.py; the rules are in
gateway/service/participants.py."""

from __future__ import annotations

import io

from flask import g, jsonify, request
from sqlalchemy.exc import IntegrityError

from gateway.api import bp
from gateway.api.validation import json_body
from gateway.auth import requires
from gateway.errors import ApiError
from gateway.models import AuditEvent, Participant
from gateway.runtime import of_app
from gateway.service import importer, privacy
from gateway.service import participants as service
from gateway.service.actions import check_characters
from gateway.service.participants import serialise


@bp.post("/participants")
@requires("participants:write")
def create_participant():
    runtime = of_app()
    data = service.read(json_body(), runtime.config.countries, runtime.geocoder)
    try:
        with runtime.transaction() as db:
            body = serialise(service.create(db, data, verified=True))
    except IntegrityError:  # the same number registered concurrently: the unique index decided
        raise ApiError(409, "phone", "a participant with this number already exists") from None
    return jsonify(body), 201


@bp.post("/participants/import")
@requires("participants:write")
def import_participants():
    """CSV in the body (at most 1 MB; larger files with `burgernet import-participants`)."""
    verify = request.args.get("verify", "false")
    if verify not in ("true", "false"):
        raise ApiError(422, "verify", "must be true or false")
    try:
        text = request.get_data(as_text=False).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(422, "file", "must be UTF-8 text") from None
    check_characters(text.replace("\r", ""), "file")
    report = importer.run(of_app(), io.StringIO(text, newline=""), verify=verify == "true")
    return jsonify(report.as_json(max_errors=1000))


@bp.get("/participants/statistics")
@requires("participants:read")
def participant_statistics():
    with of_app().sessions() as db:
        return jsonify(service.per_area(db))


@bp.get("/participants/<int:participant_id>")
@requires("participants:read")
def get_participant(participant_id: int):
    runtime = of_app()
    with runtime.sessions() as db:
        return jsonify(serialise(_participant(db, participant_id)))


def _participant(db, participant_id: int) -> Participant:
    participant = db.get(Participant, participant_id)
    if participant is None:
        raise ApiError(404, "participant_id", "no such participant")
    return participant


@bp.get("/participants/<int:participant_id>/export")
@requires("participants:read")
def export_participant(participant_id: int):
    """Everything we hold about one participant (GDPR access request)."""
    with of_app().sessions() as db:
        return jsonify(privacy.export(db, _participant(db, participant_id)))


@bp.delete("/participants/<int:participant_id>")
@requires("participants:write")
def erase_participant(participant_id: int):
    """Erase on request: the participant goes, their deliveries stay for statistics without
    anything that points at them. The audit trail records who erased which id."""
    with of_app().transaction() as db:
        anonymised = privacy.erase(db, _participant(db, participant_id))
        db.add(AuditEvent(operator_id=g.operator.id, event="participant.erased",
                          detail={"participant_id": participant_id, **anonymised}))
    return jsonify(id=participant_id, erased=True, anonymised=anonymised)
