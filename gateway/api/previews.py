"""Previews that store nothing: the console asks them while the operator is still drawing or
typing. Each calls the action service, which owns the counting and the text checks. And where
an address is, to centre the map."""

from __future__ import annotations

from flask import jsonify, request

from gateway import postcodes
from gateway.api import bp
from gateway.api.validation import json_body
from gateway.auth import requires
from gateway.errors import ApiError
from gateway.geocoding import GeocoderUnavailable
from gateway.models import delivery as state
from gateway.runtime import of_app
from gateway.service import actions as service
from gateway.service.participants import MAX_HOUSE_NUMBER


@bp.post("/actions/preview")
@requires("actions:write")
def preview_action():
    data = json_body()
    return jsonify(service.preview(of_app(), data.get("incident_type"), data.get("description"),
                                   data.get("area"), data.get("groups")))


@bp.post("/actions/<int:action_id>/widen/preview")
@requires("actions:write")
def preview_widening(action_id: int):
    return jsonify(service.preview_widening(of_app(), action_id, json_body().get("area")))


@bp.post("/actions/<int:action_id>/update/preview")
@requires("actions:write")
def preview_update(action_id: int):
    return jsonify(service.preview_followup(of_app(), action_id, state.UPDATE,
                                            json_body().get("text")))


@bp.post("/actions/<int:action_id>/close/preview")
@requires("actions:write")
def preview_close(action_id: int):
    return jsonify(service.preview_followup(of_app(), action_id, state.OUTCOME,
                                            json_body().get("outcome")))


@bp.get("/geocode")
@requires("actions:read")
def geocode():
    """Where a Dutch address is, to centre the console's map on an incident:
    ?postcode=2711AB&number=12 (&addition=A)."""
    raw, number = request.args.get("postcode", ""), request.args.get("number", "")
    try:
        postcode = postcodes.normalise(raw)
    except postcodes.InvalidPostcode as exc:
        raise ApiError(422, "postcode", str(exc)) from None
    if not number.isdigit() or not 1 <= int(number) <= MAX_HOUSE_NUMBER:
        raise ApiError(422, "number", f"must be a house number from 1 to {MAX_HOUSE_NUMBER}")
    try:
        found = of_app().geocoder.locate(postcode, int(number), request.args.get("addition", "")[:6])
    except GeocoderUnavailable:
        raise ApiError(503, "postcode", "the address lookup is unavailable; give coordinates") from None
    if found is None:
        raise ApiError(404, "postcode", f"no address is known at {postcode} {number}")
    return jsonify({"lat": found.lat, "lon": found.lon})
