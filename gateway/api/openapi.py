"""The API's OpenAPI 3.0 description, served at /api/openapi.json. The tests validate real
responses against it, so it cannot drift from what the code does."""

from __future__ import annotations

from flask import jsonify

from callflows.texts import LANGUAGES
from gateway import areas, channels
from gateway.api import bp
from gateway.api.participants import MIN_AGE
from gateway.errors import MAX_ID
from gateway.models import utcnow
from gateway.models.action import INCIDENT_TYPES, STATUSES
from gateway.models.delivery import STATES
from gateway.models.participant import LABELS
from gateway.service.actions import CONTROL_CHARACTERS, MAX_DESCRIPTION, MAX_MESSAGE

ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*codes: int) -> dict:
    names = {400: "Malformed request: the body is not a JSON object, or is nested too deeply",
             401: "No valid operator token",
             403: "The operator's role may not do this, or a console session sent no CSRF token",
             404: "Not found",
             409: "Conflicts with the current state", 413: "The request body is too large",
             422: "A field is invalid (named in error.field)"}
    return {str(c): {"description": names[c],
                     "content": {"application/json": {"schema": ERROR}}} for c in codes}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict, example: dict | None = None) -> dict:
    media = {"schema": schema, **({"example": example} if example else {})}
    return {"required": True, "content": {"application/json": media}}


# Examples for the reader, and requests Schemathesis sends as they are (tests/test_schemathesis.py).
ZOETERMEER = [4.4931, 52.0575]
EXAMPLES = {
    "participant": {"phone": "06 12345678", "language": "nl", "birth_year": 1980, "addresses": [
        {"label": "home", "lat": ZOETERMEER[1], "lon": ZOETERMEER[0], "channel": "sms"}]},
    "action": {"incident_type": "burglary",
               "description": "Man, 1.80 m, rode jas, op zwarte fiets richting station",
               "area": {"type": "Circle", "center": ZOETERMEER, "radius_m": 800}},
    "widen": {"area": {"type": "Polygon", "coordinates": [[
        [4.47, 52.04], [4.52, 52.04], [4.52, 52.07], [4.47, 52.07], [4.47, 52.04]]]}},
    "update": {"text": "Hij is gezien bij het station."},
    "close": {"outcome": "De verdachte is aangehouden."},
}


NULLABLE_STR = {"type": "string", "nullable": True}
# Ids are 32-bit; a larger one in a URL is a 404 (gateway.errors.IdConverter).
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
ACTION_ID = [{"name": "action_id", "in": "path", "required": True, "schema": ID}]


def _text(max_length: int, description: str | None = None) -> dict:
    """An operator's text as the service takes it: something besides spaces, no control
    characters (service.actions.check_characters), at most max_length after trimming. Lone
    surrogates are refused too, but a pattern cannot name them: validators work on code points."""
    allowed = f"[^{CONTROL_CHARACTERS}]"
    schema = {"type": "string", "minLength": 1, "maxLength": max_length,
              "pattern": rf"^{allowed}*[^\s{CONTROL_CHARACTERS}]{allowed}*$"}
    return {**schema, "description": description} if description else schema


# Filled in again for every request: the youngest birth year moves on each New Year.
BIRTH_YEAR = {"type": "integer", "nullable": True, "minimum": 1900,
              "maximum": utcnow().year - MIN_AGE, "description": f"{MIN_AGE} or older"}
LON_OR_LAT = {"type": "number", "minimum": -180, "maximum": 180}
POSITION = {"type": "array", "items": LON_OR_LAT, "minItems": 2, "maxItems": 2,
            "description": "[longitude, latitude]"}
RING = {"type": "array", "items": POSITION, "minItems": 4, "maxItems": areas.MAX_VERTICES,
        "description": "A closed ring: the last position equals the first"}
POLYGON = {"type": "array", "items": RING, "minItems": 1,
           "description": "The outer ring, then any holes"}
CIRCLE = {"type": "object", "required": ["type", "center", "radius_m"], "properties": {
    "type": {"type": "string", "enum": ["Circle"]},
    "center": POSITION,
    "radius_m": {"type": "number", "minimum": 0, "exclusiveMinimum": True,
                 "maximum": areas.MAX_RADIUS_M}}}
AREA_SUMMARY = {"$ref": "#/components/schemas/AreaSummary"}

SCHEMAS = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["field", "message"], "properties": {
            "field": NULLABLE_STR, "message": {"type": "string"}}}},
    },
    "AddressIn": {
        "type": "object", "required": ["lat", "lon", "channel"],
        "properties": {"label": {"type": "string", "enum": [*LABELS, None], "default": "home",
                                 "nullable": True},
                       "lat": {"type": "number", "minimum": -90, "maximum": 90},
                       "lon": {"type": "number", "minimum": -180, "maximum": 180},
                       "channel": {"type": "string", "enum": list(channels.NAMES)}},
    },
    "ParticipantIn": {
        "type": "object", "required": ["phone", "addresses"],
        "properties": {
            "phone": {"type": "string", "example": "06 12345678",
                      "description": "Mobile number; national (NL) or international; stored E.164"},
            "language": {"type": "string", "enum": [*LANGUAGES, None], "default": "nl",
                         "nullable": True},
            "birth_year": BIRTH_YEAR,
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
        "description": "A circle, or a GeoJSON Polygon / MultiPolygon in [lon, lat] order. A circle "
                       "must be centred in the service area, a polygon must touch it ("
                       f"{areas.SERVICE_AREA_NAME}: longitude {areas.SERVICE_AREA[0]} to "
                       f"{areas.SERVICE_AREA[2]}, latitude {areas.SERVICE_AREA[1]} to "
                       f"{areas.SERVICE_AREA[3]}). At most {areas.MAX_VERTICES} vertices in all, "
                       f"and no larger than a circle of {areas.MAX_RADIUS_M // 1000} km radius",
        "oneOf": [
            CIRCLE,
            {"type": "object", "required": ["type", "coordinates"], "properties": {
                "type": {"type": "string", "enum": ["Polygon"]}, "coordinates": POLYGON}},
            {"type": "object", "required": ["type", "coordinates"], "properties": {
                "type": {"type": "string", "enum": ["MultiPolygon"]},
                "coordinates": {"type": "array", "items": POLYGON, "minItems": 1}}},
        ],
    },
    "AreaSummary": {
        "description": "An area as lists show it: a circle whole, a polygon by its bounding box "
                       "and vertex count (GET /api/actions/{action_id} has it in full)",
        "oneOf": [
            CIRCLE,
            {"type": "object", "required": ["type", "bbox", "vertices"], "properties": {
                "type": {"type": "string", "enum": ["Polygon", "MultiPolygon"]},
                "bbox": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4,
                         "description": "[min longitude, min latitude, max longitude, max latitude]"},
                "vertices": {"type": "integer"}}},
        ],
    },
    "ActionIn": {
        "type": "object", "required": ["incident_type", "description", "area"],
        "properties": {
            "incident_type": {"type": "string", "enum": list(INCIDENT_TYPES)},
            "description": _text(MAX_DESCRIPTION, "The signalement: what to look out for. Its "
                                                  "SMS may take at most MAX_SMS_SEGMENTS segments"),
            "area": {"$ref": "#/components/schemas/Area"},
            "consent": {"type": "boolean", "default": False, "nullable": True,
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
            "description": {"type": "string"}, "area": {"$ref": "#/components/schemas/Area"},
            "areas": {"type": "array", "items": {"$ref": "#/components/schemas/Area"},
                      "description": "The first area, then every area added by widening"},
            "consent_recorded": {"type": "boolean"},
            "status": {"type": "string", "enum": list(STATUSES)},
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

# In lists every area is a summary (areas.summary); the action alone has them in full.
SCHEMAS["ActionSummary"] = {**SCHEMAS["Action"], "properties": {
    **SCHEMAS["Action"]["properties"], "area": AREA_SUMMARY,
    "areas": {**SCHEMAS["Action"]["properties"]["areas"], "items": AREA_SUMMARY}}}

PATHS = {
    "/api/participants": {"post": {
        "summary": "Register a participant (registered by an operator, so verified)",
        "requestBody": _body({"$ref": "#/components/schemas/ParticipantIn"}, EXAMPLES["participant"]),
        "responses": {"201": _json({"$ref": "#/components/schemas/Participant"}, "Created"),
                      **_errors(400, 401, 403, 409, 413, 422)}}},
    "/api/participants/{participant_id}": {"get": {
        "summary": "One participant",
        "parameters": [{"name": "participant_id", "in": "path", "required": True, "schema": ID}],
        "responses": {"200": _json({"$ref": "#/components/schemas/Participant"}),
                      **_errors(401, 403, 404)}}},
    "/api/actions": {
        "post": {"summary": "Create a draft action; the answer previews who it would reach",
                 "requestBody": _body({"$ref": "#/components/schemas/ActionIn"}, EXAMPLES["action"]),
                 "responses": {"201": _json({"$ref": "#/components/schemas/Action"}, "Created"),
                               **_errors(400, 401, 403, 413, 422)}},
        "get": {"summary": "The latest 100 actions",
                "responses": {"200": _json({"type": "object", "properties": {"actions": {
                    "type": "array", "items": {"$ref": "#/components/schemas/ActionSummary"}}}}),
                    **_errors(401, 403)}}},
    "/api/actions/{action_id}": {
        "get": {"summary": "An action with delivery counts per status and its tips",
                "parameters": ACTION_ID,
                "responses": {"200": _json({"$ref": "#/components/schemas/Action"}),
                              **_errors(401, 403, 404)}},
        "delete": {"summary": "Discard a draft (it is kept, with its audit trail, as discarded)",
                   "parameters": ACTION_ID,
                   "responses": {"200": _json({"$ref": "#/components/schemas/Action"}),
                                 **_errors(401, 403, 404, 409)}}},
    "/api/tips": {"get": {
        "summary": "Tips of all actions, newest first; unlinked=true: those no action claimed",
        "parameters": [{"name": "unlinked", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": ["true", "false"]}}],
        "responses": {"200": _json({"type": "object", "properties": {"tips": {
            "type": "array", "items": {"$ref": "#/components/schemas/Tip"}}}}),
            **_errors(401, 403, 422)}}},
    "/api/actions/{action_id}/tips": {"get": {
        "summary": "Tips received for an action", "parameters": ACTION_ID,
        "responses": {"200": _json({"type": "object", "properties": {"tips": {
            "type": "array", "items": {"$ref": "#/components/schemas/Tip"}}}}),
            **_errors(401, 403, 404)}}},
    "/api/actions/{action_id}/start": {"post": {
        "summary": "Start sending. Answers at once; the fan-out runs in a worker. Above 1000 "
                   "recipients the body must be {\"confirm\": true}.",
        "parameters": ACTION_ID,
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"confirm": {"type": "boolean", "nullable": True}}}}}},
        "responses": {"202": _json({"$ref": "#/components/schemas/Action"}, "Accepted"),
                      **_errors(400, 401, 403, 404, 409, 413, 422)}}},
    "/api/actions/{action_id}/widen": {"post": {
        "summary": "Add an area to an active action; only people not yet alerted are alerted. "
                   "`added` counts them",
        "parameters": ACTION_ID,
        "requestBody": _body({"type": "object", "required": ["area"], "properties": {
            "area": {"$ref": "#/components/schemas/Area"}}}, EXAMPLES["widen"]),
        "responses": {"202": _json({"$ref": "#/components/schemas/Action"}, "Accepted"),
                      **_errors(400, 401, 403, 404, 409, 413, 422)}}},
    "/api/actions/{action_id}/update": {"post": {
        "summary": "Send a message to everyone the action has reached so far, by their channel "
                   "(voicemail: by SMS)",
        "parameters": ACTION_ID,
        "requestBody": _body({"type": "object", "required": ["text"], "properties": {
            "text": _text(MAX_MESSAGE)}}, EXAMPLES["update"]),
        "responses": {"202": _json({"$ref": "#/components/schemas/Update"}, "Accepted"),
                      **_errors(400, 401, 403, 404, 409, 413, 422)}}},
    "/api/actions/{action_id}/close": {"post": {
        "summary": "Close with an outcome; reached participants get it, pending sends stop",
        "parameters": ACTION_ID,
        "requestBody": _body({"type": "object", "required": ["outcome"], "properties": {
            "outcome": _text(MAX_MESSAGE)}}, EXAMPLES["close"]),
        "responses": {"202": _json({"$ref": "#/components/schemas/Action"}, "Accepted"),
                      **_errors(400, 401, 403, 404, 409, 413, 422)}}},
}

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "Burgernet gateway dispatch API", "version": "1",
             "description": "Every error is {\"error\": {\"field\": ..., \"message\": ...}}. A "
                            "method a path does not have is 405, with the Allow header."},
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    },
    "security": [{"bearer": []}],
}


@bp.get("/openapi.json")
def openapi_document():
    BIRTH_YEAR["maximum"] = utcnow().year - MIN_AGE
    return jsonify(DOCUMENT)
