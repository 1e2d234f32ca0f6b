"""Self-service registration, public (no operator token): register, then prove the number with
the texted code. The rules are in gateway/service/registrations.py."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy.exc import IntegrityError

from gateway.api import bp
from gateway.api.validation import json_body
from gateway.errors import ApiError
from gateway.models import Registration
from gateway.models import registration as kinds
from gateway.runtime import of_app
from gateway.service import participants, registrations


@bp.post("/registrations")
def register():
    rt = of_app()
    data = participants.read(json_body(), rt.config.countries, rt.geocoder)
    registrations.allow_code(rt.limits, rt.config, data.phone, request.remote_addr)
    with rt.transaction() as db:
        # Whether the number is registered already is not told: the code decides.
        registration = registrations.start(db, data.phone, kinds.REGISTER, body=data.as_json())
    registrations.enqueue_code(rt, registration.id)
    return jsonify(id=registration.id), 202


@bp.post("/registrations/<int:registration_id>/resend")
def resend_code(registration_id: int):
    rt = of_app()
    with rt.sessions() as db:
        registration = db.get(Registration, registration_id)
        if registration is None:
            raise ApiError(404, "registration_id", "no such registration")
        if registration.verified_at is not None:
            raise ApiError(409, "registration_id", "this registration is verified already")
        phone = registration.phone
    registrations.allow_code(rt.limits, rt.config, phone, request.remote_addr)
    registrations.enqueue_code(rt, registration_id)
    return jsonify(id=registration_id), 202


@bp.post("/registrations/<int:registration_id>/verify")
def verify(registration_id: int):
    rt = of_app()
    data = json_body()
    registrations.check(rt, registration_id, data.get("code"))
    try:
        with rt.transaction() as db:
            participant = registrations.complete(db, registration_id)
            body = participants.serialise(participant)
    except IntegrityError:  # the number was registered in the meantime by someone else's path
        raise ApiError(409, "phone", "a participant with this number already exists") from None
    return jsonify(registration_id=registration_id, participant=body)
