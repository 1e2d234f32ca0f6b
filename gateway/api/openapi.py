"""The API's OpenAPI 3.0 description, served at /api/openapi.json. The tests validate real
responses against it, so it cannot drift from what the code does."""

from __future__ import annotations

from flask import jsonify

from gateway import channels
from gateway.api import bp
from gateway.models.action import INCIDENT_TYPES
from gateway.models.delivery import STATES

ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*codes: int) -> dict:
    names = {400: "Malformed request", 401: "No valid operator token", 404: "Not found",
             409: "Conflicts with the current state", 422: "A field is invalid (named in error.field)"}
    return {str(c): {"description": names[c],
                     "content": {"application/json": {"schema": ERROR}}} for c in codes}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


NULLABLE_STR = {"type": "string", "nullable": True}
ACTION_ID = [{"name": "action_id", "in": "path", "required": True, "schema": {"type": "integer"}}]

SCHEMAS = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["field", "message"], "properties": {
            "field": NULLABLE_STR, "message": {"type": "string"}}}},
    },
    "AddressIn": {
        "type": "object", "required": ["lat", "lon", "channel"],
        "properties": {"label": {"type": "string", "enum": ["home", "work"], "default": "home"},
                       "lat": {"type": "number", "minimum": -90, "maximum": 90},
                       "lon": {"type": "number", "minimum": -180, "maximum": 180},
                       "channel": {"type": "string", "enum": list(channels.NAMES)}},
    },
    "ParticipantIn": {
        "type": "object", "required": ["phone", "addresses"],
        "properties": {
            "phone": {"type": "string", "example": "06 12345678",
                      "description": "Mobile number; national (NL) or international; stored E.164"},
            "language": {"type": "string", "enum": ["nl", "en"], "default": "nl"},
            "birth_year": {"type": "integer", "description": "16 or older"},
            "addresses": {"type": "array", "minItems": 1, "maxItems": 5,
                          "items": {"$ref": "#/components/schemas/AddressIn"}}},
    },
    "Participant": {
        "type": "object",
        "required": ["id", "phone", "language", "active", "verified", "addresses"],
        "properties": {
            "id": {"type": "integer"}, "phone": {"type": "string"},
            "language": {"type": "string"}, "birth_year": {"type": "integer", "nullable": True},
            "active": {"type": "boolean"}, "verified": {"type": "boolean"},
            "addresses": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "label": {"type": "string"},
                "lat": {"type": "number"}, "lon": {"type": "number"},
                "channel": {"type": "string"}}}}},
    },
    "Area": {
        "description": "A circle, or a GeoJSON Polygon / MultiPolygon in [lon, lat] order",
        "oneOf": [
            {"type": "object", "required": ["type", "center", "radius_m"], "properties": {
                "type": {"type": "string", "enum": ["Circle"]},
                "center": {"type": "array", "items": {"type": "number"},
                           "minItems": 2, "maxItems": 2, "description": "[longitude, latitude]"},
                "radius_m": {"type": "number", "minimum": 0, "maximum": 100000}}},
            {"type": "object", "required": ["type", "coordinates"], "properties": {
                "type": {"type": "string", "enum": ["Polygon", "MultiPolygon"]},
                "coordinates": {"type": "array"}}},
        ],
    },
    "ActionIn": {
        "type": "object", "required": ["incident_type", "description", "area"],
        "properties": {
            "incident_type": {"type": "string", "enum": list(INCIDENT_TYPES)},
            "description": {"type": "string", "maxLength": 600,
                            "description": "The signalement: what to look out for. Its SMS "
                                           "may take at most MAX_SMS_SEGMENTS segments"},
            "area": {"$ref": "#/components/schemas/Area"},
            "consent": {"type": "boolean", "default": False,
                        "description": "Required (true) for missing_person: the family's or "
                                       "guardian's consent to publish is recorded"}},
    },
    "Reach": {
        "type": "object", "required": [*channels.NAMES, "total"],
        "properties": {**{name: {"type": "integer"} for name in channels.NAMES},
                       "total": {"type": "integer"}},
    },
    "Preview": {
        "allOf": [{"$ref": "#/components/schemas/Reach"}, {
            "type": "object",
            "required": ["sms_text", "sms_encoding", "sms_segments", "voice_text"],
            "properties": {
                "sms_text": {"type": "string", "description": "The SMS as sent (in Dutch)"},
                "sms_encoding": {"type": "string", "enum": ["GSM-7", "UCS-2"]},
                "sms_segments": {"type": "integer"},
                "voice_text": {"type": "string", "description": "What the call says"}}}],
    },
    "Update": {
        "type": "object", "required": ["id", "text", "created_at"],
        "properties": {"id": {"type": "integer"}, "action_id": {"type": "integer"},
                       "text": {"type": "string"},
                       "created_at": {"type": "string", "format": "date-time"}},
    },
    "Tip": {
        "type": "object", "required": ["id", "kind", "created_at"],
        "properties": {
            "id": {"type": "integer"}, "action_id": {"type": "integer", "nullable": True},
            "kind": {"type": "string", "enum": ["call", "recording", "sms"]},
            "channel": {"type": "string", "nullable": True, "enum": [*channels.NAMES, None]},
            "phone": NULLABLE_STR, "body": NULLABLE_STR, "recording_url": NULLABLE_STR,
            "duration_s": {"type": "integer", "nullable": True},
            "created_at": {"type": "string", "format": "date-time"}},
    },
    "Action": {
        "type": "object",
        "required": ["id", "incident_type", "description", "area", "status", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "incident_type": {"type": "string", "enum": list(INCIDENT_TYPES)},
            "description": {"type": "string"}, "area": {"type": "object"},
            "areas": {"type": "array", "items": {"type": "object"},
                      "description": "The first area, then every area added by widening"},
            "consent_recorded": {"type": "boolean"},
            "status": {"type": "string", "enum": ["draft", "active", "closed"]},
            "outcome": NULLABLE_STR,
            "created_at": {"type": "string", "format": "date-time"},
            "started_at": {"type": "string", "format": "date-time", "nullable": True},
            "closed_at": {"type": "string", "format": "date-time", "nullable": True},
            "preview": {"$ref": "#/components/schemas/Preview"},
            "added": {"$ref": "#/components/schemas/Reach"},
            "updates": {"type": "array", "items": {"$ref": "#/components/schemas/Update"}},
            "deliveries": {
                "type": "object",
                "description": "Counts per purpose (alert, update, outcome) and delivery "
                               "status: " + ", ".join(STATES),
                "additionalProperties": {"type": "object",
                                         "additionalProperties": {"type": "integer"}}},
            "tips": {"type": "array", "items": {"$ref": "#/components/schemas/Tip"}}},
    },
}

PATHS = {
    "/api/participants": {"post": {
        "summary": "Register a participant (registered by an operator, so verified)",
        "requestBody": _body({"$ref": "#/components/schemas/ParticipantIn"}),
        "responses": {"201": _json({"$ref": "#/components/schemas/Participant"}, "Created"),
                      **_errors(400, 401, 409, 422)}}},
    "/api/participants/{participant_id}": {"get": {
        "summary": "One participant",
        "parameters": [{"name": "participant_id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}],
        "responses": {"200": _json({"$ref": "#/components/schemas/Participant"}),
                      **_errors(401, 404)}}},
    "/api/actions": {
        "post": {"summary": "Create a draft action; the answer previews who it would reach",
                 "requestBody": _body({"$ref": "#/components/schemas/ActionIn"}),
                 "responses": {"201": _json({"$ref": "#/components/schemas/Action"}, "Created"),
                               **_errors(400, 401, 422)}},
        "get": {"summary": "The latest 100 actions",
                "responses": {"200": _json({"type": "object", "properties": {"actions": {
                    "type": "array", "items": {"$ref": "#/components/schemas/Action"}}}}),
                    **_errors(401)}}},
    "/api/actions/{action_id}": {"get": {
        "summary": "An action with delivery counts per status and its tips",
        "parameters": ACTION_ID,
        "responses": {"200": _json({"$ref": "#/components/schemas/Action"}), **_errors(401, 404)}}},
    "/api/actions/{action_id}/tips": {"get": {
        "summary": "Tips received for an action", "parameters": ACTION_ID,
        "responses": {"200": _json({"type": "object", "properties": {"tips": {
            "type": "array", "items": {"$ref": "#/components/schemas/Tip"}}}}),
            **_errors(401, 404)}}},
    "/api/actions/{action_id}/start": {"post": {
        "summary": "Start sending. Answers at once; the fan-out runs in a worker. Above 1000 "
                   "recipients the body must be {\"confirm\": true}.",
        "parameters": ACTION_ID,
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"confirm": {"type": "boolean"}}}}}},
        "responses": {"202": _json({"$ref": "#/components/schemas/Action"}, "Accepted"),
                      **_errors(401, 404, 409)}}},
    "/api/actions/{action_id}/widen": {"post": {
        "summary": "Add an area to an active action; only people not yet alerted are alerted. "
                   "`added` counts them",
        "parameters": ACTION_ID,
        "requestBody": _body({"type": "object", "required": ["area"], "properties": {
            "area": {"$ref": "#/components/schemas/Area"}}}),
        "responses": {"202": _json({"$ref": "#/components/schemas/Action"}, "Accepted"),
                      **_errors(400, 401, 404, 409, 422)}}},
    "/api/actions/{action_id}/update": {"post": {
        "summary": "Send a message to everyone the action has reached so far, by their channel "
                   "(voicemail: by SMS)",
        "parameters": ACTION_ID,
        "requestBody": _body({"type": "object", "required": ["text"], "properties": {
            "text": {"type": "string", "maxLength": 300}}}),
        "responses": {"202": _json({"$ref": "#/components/schemas/Update"}, "Accepted"),
                      **_errors(400, 401, 404, 409, 422)}}},
    "/api/actions/{action_id}/close": {"post": {
        "summary": "Close with an outcome; reached participants get it, pending sends stop",
        "parameters": ACTION_ID,
        "requestBody": _body({"type": "object", "required": ["outcome"], "properties": {
            "outcome": {"type": "string", "maxLength": 300}}}),
        "responses": {"202": _json({"$ref": "#/components/schemas/Action"}, "Accepted"),
                      **_errors(400, 401, 404, 409, 422)}}},
}

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "Burgernet gateway dispatch API", "version": "1"},
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    },
    "security": [{"bearer": []}],
}


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(DOCUMENT)
