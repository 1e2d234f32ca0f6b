"""Registering participants. Operators and municipality staff register (and vouch for) them;
self-service registration with SMS code verification is a later step (ROADMAP 1)."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from callflows.texts import LANGUAGES
from gateway import channels
from gateway.api import bp
from gateway.api.validation import choice, field, json_body
from gateway.auth import requires
from gateway.errors import ApiError
from gateway.models import Address, Participant, utcnow
from gateway.models.participant import LABELS
from gateway.phones import InvalidPhone, normalise
from gateway.runtime import of_app

MAX_ADDRESSES = 5
MIN_AGE = 16


def serialise(participant: Participant) -> dict:
    return {
        "id": participant.id,
        "phone": participant.phone,
        "language": participant.language,
        "birth_year": participant.birth_year,
        "active": participant.active,
        "verified": participant.verified_at is not None,
        "addresses": [
            {"id": a.id, "label": a.label, "lat": a.lat, "lon": a.lon, "channel": a.channel}
            for a in participant.addresses
        ],
    }


def _addresses(data: dict) -> list[Address]:
    items = field(data, "addresses", list)
    if not 1 <= len(items) <= MAX_ADDRESSES:
        raise ApiError(422, "addresses", f"must hold 1 to {MAX_ADDRESSES} addresses")
    result = []
    for i, item in enumerate(items):
        prefix = f"addresses[{i}]."
        if not isinstance(item, dict):
            raise ApiError(422, f"addresses[{i}]", "must be an object")
        lat = field(item, "lat", (int, float), prefix)
        lon = field(item, "lon", (int, float), prefix)
        if not -90 <= lat <= 90:
            raise ApiError(422, prefix + "lat", "must be between -90 and 90")
        if not -180 <= lon <= 180:
            raise ApiError(422, prefix + "lon", "must be between -180 and 180")
        result.append(Address(label=choice(item, "label", LABELS, prefix, default="home"),
                              lat=float(lat), lon=float(lon),
                              channel=choice(item, "channel", channels.NAMES, prefix)))
    return result


@bp.post("/participants")
@requires("participants:write")
def create_participant():
    data = json_body()
    try:
        phone = normalise(field(data, "phone", str), mobile_only=True,
                          countries=of_app().config.countries)
    except InvalidPhone as exc:
        raise ApiError(422, "phone", str(exc)) from None
    language = choice(data, "language", LANGUAGES, default="nl")
    birth_year = field(data, "birth_year", int, required=False)
    if birth_year is not None and not 1900 <= birth_year <= utcnow().year - MIN_AGE:
        raise ApiError(422, "birth_year", "participants must be 16 or older")
    addresses = _addresses(data)
    runtime = of_app()
    duplicate = ApiError(409, "phone", "a participant with this number already exists")
    try:
        with runtime.transaction() as db:
            if db.scalar(select(Participant.id).where(Participant.phone == phone)):
                raise duplicate
            participant = Participant(phone=phone, language=language, birth_year=birth_year,
                                      verified_at=utcnow(), addresses=addresses)
            db.add(participant)
            db.flush()
            body = serialise(participant)
    except IntegrityError:  # the same number registered concurrently: the unique index decided
        raise duplicate from None
    return jsonify(body), 201


@bp.get("/participants/<int:participant_id>")
@requires("participants:read")
def get_participant(participant_id: int):
    runtime = of_app()
    with runtime.sessions() as db:
        participant = db.get(Participant, participant_id)
        if participant is None:
            raise ApiError(404, "participant_id", "no such participant")
        return jsonify(serialise(participant))
