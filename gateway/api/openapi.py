"""The API's OpenAPI 3.0 description, served at /api/openapi.json. The tests validate real
responses against it, so it cannot drift from what the code does."""

from __future__ import annotations

from flask import jsonify

from callflows.texts import LANGUAGES
from gateway import areas, channels
from gateway.api import bp
from gateway.api.tips import MAX_NOTE
from gateway.errors import MAX_ID
from gateway.models import utcnow
from gateway.models.action import INCIDENT_TYPES, STATUSES
from gateway.models.delivery import STATES
from gateway.models.group import HDK_STATES, SUPPLY_STATUSES
from gateway.models.group import STATUSES as GROUP_STATUSES
from gateway.models.participant import LABELS
from gateway.service import groups, importer, supplies
from gateway.service.actions import CONTROL_CHARACTERS, MAX_DESCRIPTION, MAX_MESSAGE
from gateway.service.participants import MAX_ADDRESSES, MAX_HOUSE_NUMBER, MIN_AGE
from gateway.windows import DAYS, MAX_WINDOWS

ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*codes: int) -> dict:
    names = {400: "Malformed request: the body is not a JSON object, or is nested too deeply",
             401: "No valid operator token",
             403: "The operator's role may not do this, or a console session sent no CSRF token",
             404: "Not found",
             409: "Conflicts with the current state", 410: "The code has expired",
             413: "The request body is too large",
             422: "A field is invalid (named in error.field)",
             429: "Too many requests (codes per number, per client address or in all)",
             503: "The address lookup (geocoder) is unavailable; try again or give coordinates"}
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
        {"label": "home", "lat": ZOETERMEER[1], "lon": ZOETERMEER[0], "channel": "sms"},
        {"label": "work", "postcode": "2711AB", "house_number": 1, "channel": "voice",
         "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00",
                      "end": "18:00"}]}]},
    "action": {"incident_type": "burglary",
               "description": "Man, 1.80 m, rode jas, op zwarte fiets richting station",
               "area": {"type": "Circle", "center": ZOETERMEER, "radius_m": 800}},
    "widen": {"area": {"type": "Polygon", "coordinates": [[
        [4.47, 52.04], [4.52, 52.04], [4.52, 52.07], [4.47, 52.07], [4.47, 52.04]]]}},
    "update": {"text": "Hij is gezien bij het station."},
    "close": {"outcome": "De verdachte is aangehouden."},
    "group": {"name": "Buurtpreventie Stadshart", "municipality": "Zoetermeer",
              "area": {"type": "Polygon", "coordinates": [[
                  [4.488, 52.055], [4.498, 52.055], [4.498, 52.061], [4.488, 52.061],
                  [4.488, 52.055]]]},
              "streets": ["Stadhuisplein", "Markt"], "member_count": 32,
              "members_adult": True, "one_per_household": True,
              "administrator": {"name": "Anna de Vries", "email": "anna@example.nl",
                                "phone": "06 12345678", "publish_contact": True}},
}


NULLABLE_STR = {"type": "string", "nullable": True}
# Ids are 32-bit; a larger one in a URL is a 404 (gateway.errors.IdConverter).
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
PARTICIPANT_ID = [{"name": "participant_id", "in": "path", "required": True, "schema": ID}]
REGISTRATION_PARAM = [{"name": "registration_id", "in": "path", "required": True, "schema": ID}]
REGISTRATION_ID = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}
ACTION_ID = [{"name": "action_id", "in": "path", "required": True, "schema": ID}]
TIP_ID = [{"name": "tip_id", "in": "path", "required": True, "schema": ID}]
TIPS = {"type": "object", "properties": {"tips": {
    "type": "array", "items": {"$ref": "#/components/schemas/Tip"}}}}


def FLAG(name: str) -> dict:  # noqa: N802  (reads like the constants beside it)
    return {"name": name, "in": "query", "required": False,
            "schema": {"type": "string", "enum": ["true", "false"]}}


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
POSTCODES = {"type": "object", "required": ["type", "postcodes"], "properties": {
    "type": {"type": "string", "enum": ["Postcodes"]},
    "postcodes": {"type": "array", "minItems": 1, "maxItems": areas.MAX_POSTCODES,
                  "items": {"type": "string", "pattern": "^ *[1-9][0-9]{3} *([A-Za-z]{2})? *$"},
                  "description": "PC4 areas (2711) and PC6 streets (2711AB): addresses by their "
                                 "postcode; one given by coordinates only is not in it"}}}

GROUPS_SWITCH = {
    "type": "boolean", "nullable": True,
    "description": "Heterdaadkracht: whether the administrators of the neighbourhood groups the "
                   "area overlaps get the messages; missing or null: the incident type's "
                   "default (HETERDAADKRACHT_INCIDENT_TYPES)"}
GROUP_REACHED = {
    "type": "object", "required": ["id", "name", "administrator", "messages"],
    "properties": {
        "id": {"type": "integer", "nullable": True, "description": "null: erased since"},
        "name": {"type": "string", "nullable": True},
        "administrator": {"type": "string", "description": "The number, masked"},
        "messages": {"type": "array", "items": {
            "type": "object",
            "required": ["purpose", "round", "channel", "status", "fallback", "error_code"],
            "properties": {
                "purpose": {"type": "string", "enum": ["alert", "update", "outcome"]},
                "round": {"type": "integer"},
                "channel": {"type": "string", "enum": ["whatsapp", "sms"]},
                "status": {"type": "string", "enum": list(STATES)},
                "fallback": {"type": "boolean",
                             "description": "The SMS sent because WhatsApp failed"},
                "error_code": NULLABLE_STR}}}}}
SCHEMAS = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["field", "message"], "properties": {
            "field": NULLABLE_STR, "message": {"type": "string"}}}},
    },
    "Window": {
        "type": "object", "required": ["days", "start", "end"], "additionalProperties": False,
        "description": "A weekly window in Europe/Amsterdam time; start included, end excluded. "
                       "A window past midnight is two windows",
        "properties": {
            "days": {"type": "array", "minItems": 1, "maxItems": 7, "uniqueItems": True,
                     "items": {"type": "string", "enum": list(DAYS)}},
            "start": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
                      "example": "08:00"},
            "end": {"type": "string", "pattern": "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$",
                    "example": "18:00", "description": "After start; 24:00 is midnight"}},
    },
    "AddressIn": {
        "type": "object", "required": ["channel"],
        "description": "Either postcode and house_number (located by the geocoder), or lat and "
                       "lon; with both, the coordinates are kept as given",
        "properties": {"label": {"type": "string", "enum": [*LABELS, None], "default": "home",
                                 "nullable": True},
                       "lat": {"type": "number", "minimum": -90, "maximum": 90, "nullable": True},
                       "lon": {"type": "number", "minimum": -180, "maximum": 180,
                               "nullable": True},
                       "postcode": {"type": "string", "nullable": True, "example": "2711AB",
                                    "description": "Dutch PC6; spaces and case do not matter"},
                       "house_number": {"type": "integer", "minimum": 1,
                                        "maximum": MAX_HOUSE_NUMBER, "nullable": True},
                       "house_addition": {"type": "string", "nullable": True,
                                          "description": "Letter or addition, e.g. A or 2HG"},
                       "channel": {"type": "string", "enum": list(channels.NAMES)},
                       "windows": {"type": "array", "maxItems": MAX_WINDOWS, "nullable": True,
                                   "items": {"$ref": "#/components/schemas/Window"},
                                   "description": "None or empty: always"}},
    },
    "ParticipantIn": {
        "type": "object", "required": ["phone", "addresses"],
        "properties": {
            "phone": {"type": "string", "example": "06 12345678",
                      "description": "Mobile number; national (NL) or international; stored E.164"},
            "language": {"type": "string", "enum": [*LANGUAGES, None], "default": "nl",
                         "nullable": True, "description": "Alerts come in this language"},
            "birth_year": BIRTH_YEAR,
            "addresses": {"type": "array", "minItems": 1, "maxItems": MAX_ADDRESSES,
                          "items": {"$ref": "#/components/schemas/AddressIn"}}},
    },
    "Address": {
        "type": "object",
        "required": ["id", "label", "lat", "lon", "channel", "postcode", "house_number",
                     "house_addition", "windows"],
        "properties": {
            "id": {"type": "integer"}, "label": {"type": "string", "enum": list(LABELS)},
            "lat": {"type": "number"}, "lon": {"type": "number"},
            "channel": {"type": "string", "enum": list(channels.NAMES)},
            "postcode": NULLABLE_STR, "house_number": {"type": "integer", "nullable": True},
            "house_addition": NULLABLE_STR,
            "windows": {"type": "array", "items": {"$ref": "#/components/schemas/Window"}}},
    },
    "Participant": {
        "type": "object",
        "required": ["id", "phone", "language", "active", "verified", "addresses"],
        "properties": {
            "id": {"type": "integer"}, "phone": {"type": "string"},
            "language": {"type": "string"}, "birth_year": {"type": "integer", "nullable": True},
            "active": {"type": "boolean"}, "verified": {"type": "boolean"},
            "addresses": {"type": "array",
                          "items": {"$ref": "#/components/schemas/Address"}}},
    },
    "Area": {
        "description": "A circle, or a GeoJSON Polygon / MultiPolygon in [lon, lat] order. A circle "
                       "must be centred in the service area, a polygon must touch it ("
                       f"{areas.SERVICE_AREA_NAME}: longitude {areas.SERVICE_AREA[0]} to "
                       f"{areas.SERVICE_AREA[2]}, latitude {areas.SERVICE_AREA[1]} to "
                       f"{areas.SERVICE_AREA[3]}). At most {areas.MAX_VERTICES} vertices in all, "
                       f"and no larger than a circle of {areas.MAX_RADIUS_M // 1000} km radius. "
                       "Or a list of postcodes",
        "oneOf": [
            CIRCLE,
            POSTCODES,
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
            POSTCODES,
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
            "operator_line": {"type": "string", "nullable": True,
                              "description": "Where the tip line puts this action's callers "
                                             "through to; default CONTROL_ROOM_NUMBER"},
            "consent": {"type": "boolean", "default": False, "nullable": True,
                        "description": "Required (true) for missing_person: the family's or "
                                       "guardian's consent to publish is recorded"},
            "groups": GROUPS_SWITCH},
    },
    "Reach": {
        "type": "object", "required": [*channels.NAMES, "total"],
        "properties": {**{name: {"type": "integer"} for name in channels.NAMES},
                       "total": {"type": "integer"},
                       "groups": {
                           "type": "object",
                           "description": "Heterdaadkracht: neighbourhood groups (active, "
                                          "administrator confirmed) the area reaches; 0 when "
                                          "switched off, `available` whatever the switch",
                           "required": ["enabled", "groups", "administrators", "available"],
                           "properties": {"enabled": {"type": "boolean"},
                                          "groups": {"type": "integer"},
                                          "administrators": {"type": "integer"},
                                          "available": {"type": "integer"}}}},
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
        "type": "object",
        "required": ["id", "kind", "created_at", "caller_tips", "alerted", "handled"],
        "properties": {
            "id": {"type": "integer"}, "action_id": {"type": "integer", "nullable": True},
            "kind": {"type": "string", "enum": ["call", "recording", "sms"]},
            "channel": {"type": "string", "nullable": True, "enum": [*channels.NAMES, None]},
            "phone": {**NULLABLE_STR, "description": "Masked (+316*****678), never in full"},
            "caller": {**NULLABLE_STR, "description": "The same for every tip from one number; "
                                                      "null for a withheld number"},
            "caller_tips": {"type": "integer", "description": "Tips from this caller for this "
                                                              "action, this one included"},
            "alerted": {"type": "boolean", "description": "Whether this action alerted the caller"},
            "alerted_at": {"type": "string", "format": "date-time", "nullable": True},
            "body": NULLABLE_STR,
            "recording_url": {**NULLABLE_STR, "description": "The app's own address of the "
                                                             "recording's audio"},
            "duration_s": {"type": "integer", "nullable": True},
            "handled": {"type": "boolean"},
            "handled_at": {"type": "string", "format": "date-time", "nullable": True},
            "note": NULLABLE_STR,
            "created_at": {"type": "string", "format": "date-time"}},
    },
    "TipChange": {
        "type": "object", "minProperties": 1, "additionalProperties": False,
        "properties": {
            "action_id": {**ID, "nullable": True,
                          "description": "Link to a started action; null unlinks"},
            "handled": {"type": "boolean"},
            "note": {**_text(MAX_NOTE), "nullable": True}},
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
            "groups": {"type": "boolean", "description": "Whether neighbourhood-group "
                                                         "administrators get its messages"},
            "groups_reached": {"type": "array", "items": GROUP_REACHED},
            "operator_line": NULLABLE_STR,
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

SCHEMAS["PreviewIn"] = {
    "type": "object", "required": ["incident_type", "area"],
    "properties": {"groups": GROUPS_SWITCH,
                   "incident_type": SCHEMAS["ActionIn"]["properties"]["incident_type"],
                   "area": SCHEMAS["ActionIn"]["properties"]["area"], "description": {
        **_text(MAX_DESCRIPTION), "nullable": True, "minLength": 0,
        "pattern": f"^[^{CONTROL_CHARACTERS}]*$",
        "description": "Empty or missing: only the reach is previewed, the texts are null"}},
}
SCHEMAS["DraftPreview"] = {
    "allOf": [{"$ref": "#/components/schemas/Reach"}, {
        "type": "object",
        "required": ["sms_text", "sms_encoding", "sms_segments", "voice_text"],
        "properties": {
            "sms_text": NULLABLE_STR,
            "sms_encoding": {"type": "string", "enum": ["GSM-7", "UCS-2", None], "nullable": True},
            "sms_segments": {"type": "integer", "nullable": True},
            "voice_text": NULLABLE_STR}}],
}
SCHEMAS["FollowupPreview"] = {
    "allOf": [{"$ref": "#/components/schemas/Reach"}, {
        "type": "object", "required": ["sms_text", "sms_encoding", "sms_segments"],
        "properties": {"sms_text": {"type": "string", "description": "The SMS as sent (in Dutch)"},
                       "sms_encoding": {"type": "string", "enum": ["GSM-7", "UCS-2"]},
                       "sms_segments": {"type": "integer"},
                       "group_administrators": {
                           "type": "integer", "description": "Neighbourhood-group "
                           "administrators it would go to as well (Heterdaadkracht)"}}}],
    "description": "Who would get it now, per channel (reached by voicemail: by SMS)",
}

# In lists every area is a summary (areas.summary); the action alone has them in full.
SCHEMAS["ActionSummary"] = {**SCHEMAS["Action"], "properties": {
    **SCHEMAS["Action"]["properties"], "area": AREA_SUMMARY,
    "areas": {**SCHEMAS["Action"]["properties"]["areas"], "items": AREA_SUMMARY}}}

# One server-sent event (OpenAPI 3.0: the schema of a text/event-stream describes each event).
SSE_EVENT = {
    "type": "object", "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["state"]},
        "id": {"type": "string", "pattern": "^[0-9]+$",
               "description": "The newest tip sent so far: send it back as Last-Event-ID"},
        "data": {"type": "string", "description": "JSON: id, status, outcome, started_at, "
                 "closed_at, areas, updates (id, text, created_at), counters (waiting, calling, "
                 "answered, voicemail, delivered, "
                 "failed, cancelled), states (alert counts per delivery status), done, total, "
                 "reached, followups ({update, outcome}: {done, total}), tips (new since the "
                 "last event: id, created_at, kind, channel, caller masked, alerted, duration_s, "
                 "body, recording_url)"},
        "retry": {"type": "integer"}},
}
GROUP_ID = [{"name": "group_id", "in": "path", "required": True, "schema": ID}]
GROUP_AREA = {
    "type": "object", "nullable": True, "required": ["type", "coordinates"],
    "description": "A GeoJSON Polygon or MultiPolygon, [lon, lat], as for actions, and at most "
                   f"{groups.MAX_AREA_KM2} km²; null when the group is given by postcodes",
    "properties": {"type": {"type": "string", "enum": ["Polygon", "MultiPolygon"]},
                   "coordinates": {"type": "array", "minItems": 1}}}
ADMINISTRATOR_IN = {
    "type": "object", "description": "The group's one administrator",
    "properties": {
        "name": _text(100), "email": {"type": "string", "example": "anna@example.nl"},
        "phone": {"type": "string", "example": "06 12345678",
                  "description": "Mobile number; stored E.164"},
        "publish_contact": {"type": "boolean", "default": False, "description":
                            "Name and e-mail may be shown on the public map (how to join)"}}}
GROUP_FIELDS = {
    "name": _text(120), "municipality": _text(80), "area": GROUP_AREA,
    "postcodes": {"type": "array", "nullable": True, "maxItems": groups.MAX_POSTCODES,
                  "items": {"type": "string", "example": "2711AB"},
                  "description": "PC4 (2711) or PC6 (2711AB); instead of or besides the area"},
    "streets": {"type": "array", "nullable": True, "maxItems": groups.MAX_STREETS,
                "items": _text(groups.MAX_STREET), "description": "Street names, shown on the map"},
    "member_count": {"type": "integer", "minimum": 1, "maximum": groups.MAX_MEMBERS,
                     "description": f"Approximate; above {groups.WARN_ABOVE_MEMBERS} the answer "
                                    f"warns (about {groups.ADVISED_MEMBERS} is advised)"},
    "members_adult": {"type": "boolean", "enum": [True],
                      "description": "The administrator confirms all members are 18 or older"},
    "one_per_household": {"type": "boolean", "enum": [True],
                          "description": "The administrator confirms one member per household"},
}
SCHEMAS["GroupIn"] = {
    "type": "object",
    "required": ["name", "municipality", "member_count", "members_adult", "one_per_household",
                 "administrator"],
    "description": "An area or postcodes (or both) are required",
    "properties": {**GROUP_FIELDS, "administrator": {
        **ADMINISTRATOR_IN, "required": ["name", "email", "phone"]}}}
SCHEMAS["GroupPatch"] = {
    "type": "object", "description": "Any fields of GroupIn (the administrator's one by one); "
                                     "the result is checked like a new group",
    "properties": {**GROUP_FIELDS, "administrator": ADMINISTRATOR_IN,
                   "status": {"type": "string", "enum": ["inactive"],
                              "description": "Stop a group (approve makes it active again)"},
                   "heterdaadkracht": {"type": "boolean", "description": (
                       "Opt the administrator in (pending until they confirm) or out")}}}
NOTES = {
    "warnings": {"type": "array", "items": {
        "type": "object", "required": ["field", "message"],
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
    "overlaps": {"type": "array", "description": "Active groups this one overlaps (allowed)",
                 "items": {"type": "object", "required": ["id", "name"], "properties": {
                     "id": {"type": "integer"}, "name": {"type": "string"}}}}}
SCHEMAS["Group"] = {
    "type": "object",
    "required": ["id", "name", "municipality", "area", "postcodes", "streets", "member_count",
                 "status", "created_at", "approved_at", "administrator"],
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"},
        "municipality": {"type": "string"}, "area": GROUP_AREA,
        "postcodes": {"type": "array", "nullable": True, "items": {"type": "string"}},
        "streets": {"type": "array", "items": {"type": "string"}},
        "member_count": {"type": "integer"}, "members_adult": {"type": "boolean"},
        "one_per_household": {"type": "boolean"},
        "status": {"type": "string", "enum": list(GROUP_STATUSES)},
        "created_at": {"type": "string", "format": "date-time"},
        "approved_at": {"type": "string", "format": "date-time", "nullable": True},
        "administrator": {"type": "object", "required": [
            "name", "email", "phone", "publish_contact", "heterdaadkracht"], "properties": {
            "name": {"type": "string"}, "email": {"type": "string"},
            "phone": {"type": "string"}, "publish_contact": {"type": "boolean"},
            "heterdaadkracht": {"type": "string", "enum": list(HDK_STATES)}}},
        **NOTES}}
SCHEMAS["GroupSummary"] = {**SCHEMAS["Group"], "properties": {
    **SCHEMAS["Group"]["properties"], "area": {
        "type": "object", "nullable": True, "required": ["type", "bbox", "vertices"],
        "description": "The area's type, bounding box and vertex count (the group has it whole)",
        "properties": {"type": {"type": "string", "enum": ["Polygon", "MultiPolygon"]},
                       "bbox": {"type": "array", "items": {"type": "number"}},
                       "vertices": {"type": "integer"}}}}}
GROUP_FEATURES = {
    "type": "object", "required": ["type", "features"], "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": {
            "type": "object", "required": ["type", "id", "geometry", "properties"], "properties": {
                "type": {"type": "string", "enum": ["Feature"]}, "id": {"type": "integer"},
                "geometry": GROUP_AREA,
                "properties": {"type": "object", "required": [
                    "id", "name", "municipality", "postcodes", "streets", "join"], "properties": {
                    "id": {"type": "integer"}, "name": {"type": "string"},
                    "municipality": {"type": "string"},
                    "postcodes": {"type": "array", "items": {"type": "string"}},
                    "streets": {"type": "array", "items": {"type": "string"}},
                    "marker": {"type": "array", "nullable": True, "minItems": 2, "maxItems": 2,
                               "items": {"type": "number"}, "description": (
                                   "[lon, lat]: where a group given only by postcodes is shown, "
                                   "the centre of its postcodes' known addresses; else null")},
                    "join": {"type": "object", "nullable": True, "description": (
                        "Only when the administrator consented: whom to ask to join"),
                        "required": ["name", "email"], "properties": {
                        "name": {"type": "string"}, "email": {"type": "string"}}}}}}}}}}

PATHS = {
    "/api/participants": {"post": {
        "summary": "Register a participant (registered by an operator, so verified)",
        "requestBody": _body({"$ref": "#/components/schemas/ParticipantIn"}, EXAMPLES["participant"]),
        "responses": {"201": _json({"$ref": "#/components/schemas/Participant"}, "Created"),
                      **_errors(400, 401, 403, 409, 413, 422, 503)}}},
    "/api/registrations": {"post": {
        "summary": "Self-service registration (no token): texts a 6-digit code to the phone. "
                   "Nothing is stored as a participant until the code is verified",
        "security": [],
        "requestBody": _body({"$ref": "#/components/schemas/ParticipantIn"}, EXAMPLES["participant"]),
        "responses": {"202": _json(REGISTRATION_ID, "Accepted: the code is on its way"),
                      **_errors(400, 413, 422, 429, 503)}}},
    "/api/registrations/{registration_id}/verify": {"post": {
        "summary": "Verify the number with the texted code: 10 minutes, 5 tries, used once",
        "security": [], "parameters": REGISTRATION_PARAM,
        "requestBody": _body({"type": "object", "required": ["code"], "properties": {
            "code": {"type": "string", "pattern": "^[0-9]{6}$"}}}, {"code": "123456"}),
        "responses": {"200": _json({"type": "object", "required": ["participant"], "properties": {
            "registration_id": {"type": "integer"},
            "participant": {"$ref": "#/components/schemas/Participant"}}}),
            **_errors(400, 404, 409, 410, 413, 422, 429)}}},
    "/api/registrations/{registration_id}/resend": {"post": {
        "summary": "Text a new code (the old one stops working; five new tries)",
        "security": [], "parameters": REGISTRATION_PARAM,
        "responses": {"202": _json(REGISTRATION_ID, "Accepted"),
                      **_errors(404, 409, 429)}}},
    "/api/participants/{participant_id}": {
        "get": {"summary": "One participant", "parameters": PARTICIPANT_ID,
                "responses": {"200": _json({"$ref": "#/components/schemas/Participant"}),
                              **_errors(401, 403, 404)}},
        "delete": {"summary": "Erase a participant on request (GDPR). Their deliveries stay, "
                              "anonymised, so statistics survive; waiting ones are cancelled",
                   "parameters": PARTICIPANT_ID,
                   "responses": {"200": _json({"type": "object", "required": ["id", "erased"],
                                               "properties": {
                                                   "id": {"type": "integer"},
                                                   "erased": {"type": "boolean"},
                                                   "anonymised": {"type": "object",
                                                                  "additionalProperties": {
                                                                      "type": "integer"}}}}),
                                 **_errors(401, 403, 404)}}},
    "/api/participants/import": {"post": {
        "summary": "Import participants from CSV (at most 1 MB; larger files with `burgernet "
                   "import-participants`). Header: at least phone, lat, lon (or postcode and "
                   "house_number) and channel; optional " + ", ".join(importer.COLUMNS[4:]) +
                   ". One row per address; idempotent on phone; a participant with a bad row is "
                   "left out whole and the row reported",
        "parameters": [{"name": "verify", "in": "query", "required": False,
                        "description": "true: text new participants a code instead of storing "
                                       "them verified",
                        "schema": {"type": "string", "enum": ["true", "false"]}}],
        "requestBody": {"required": True, "content": {"text/csv": {
            "schema": {"type": "string"},
            "example": "phone,lat,lon,channel\n0612345678,52.0575,4.4931,sms\n"}}},
        "responses": {"200": _json({"type": "object", "required": [
            "rows", "created", "updated", "skipped_rows", "codes", "errors_total", "errors"],
            "properties": {**{name: {"type": "integer"} for name in (
                "rows", "created", "updated", "skipped_rows", "codes", "errors_total")},
                "errors": {"type": "array", "maxItems": 1000, "items": {
                    "type": "object", "required": ["line", "field", "message"], "properties": {
                        "line": {"type": "integer", "nullable": True}, "field": NULLABLE_STR,
                        "message": {"type": "string"}}}}}}),
            **_errors(401, 403, 413, 422, 503)}}},
    "/api/participants/statistics": {"get": {
        "summary": "Participants who can be alerted, per PC4 area and channel (pc4 null: "
                   "addresses given by coordinates only); total counts each person once",
        "responses": {"200": _json({"type": "object", "required": ["areas", "total"], "properties": {
            "areas": {"type": "array", "items": {
                "type": "object", "required": ["pc4", *channels.NAMES],
                "properties": {"pc4": NULLABLE_STR,
                               "centre": {**POSITION, "description": "[longitude, latitude]: the "
                                          "mean of the area's addresses (absent for pc4 null)"},
                               **{name: {"type": "integer"} for name in channels.NAMES}}}},
            "total": {"type": "integer"}}}), **_errors(401, 403)}}},
    "/api/participants/{participant_id}/export": {"get": {
        "summary": "Everything held about one participant (GDPR access): the registry entry, "
                   "codes texted (never the codes), deliveries and tips",
        "parameters": PARTICIPANT_ID,
        "responses": {"200": _json({"type": "object",
                                    "required": ["participant", "codes", "deliveries", "tips"],
                                    "properties": {
                                        "participant": {"$ref": "#/components/schemas/Participant"},
                                        "codes": {"type": "array", "items": {"type": "object"}},
                                        "deliveries": {"type": "array", "items": {"type": "object"}},
                                        "tips": {"type": "array", "items": {"type": "object"}}}}),
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
        "parameters": [FLAG("unlinked"), FLAG("handled")],
        "responses": {"200": _json(TIPS), **_errors(401, 403, 422)}}},
    "/api/tips/{tip_id}": {"patch": {
        "summary": "Link a tip to an action (or unlink it), mark it handled, or set its note",
        "parameters": TIP_ID,
        "requestBody": _body({"$ref": "#/components/schemas/TipChange"},
                             {"handled": True, "note": "Teruggebeld, zag hem om 14:10"}),
        "responses": {"200": _json({"$ref": "#/components/schemas/Tip"}),
                      **_errors(400, 401, 403, 404, 413, 422)}}},
    "/api/tips/{tip_id}/recording": {"get": {
        "summary": "The recording's audio, streamed from the provider with its credentials",
        "parameters": TIP_ID,
        "responses": {"200": {"description": "The audio", "content": {
            "audio/x-wav": {"schema": {"type": "string", "format": "binary"}},
            "audio/wav": {"schema": {"type": "string", "format": "binary"}},
            "audio/mpeg": {"schema": {"type": "string", "format": "binary"}}}},
            **_errors(401, 403, 404),
            "502": {"description": "The provider's media did not answer",
                    "content": {"application/json": {"schema": ERROR}}}}}},
    "/api/actions/{action_id}/tips": {"get": {
        "summary": "Tips received for an action", "parameters": [*ACTION_ID, FLAG("handled")],
        "responses": {"200": _json(TIPS), **_errors(401, 403, 404, 422)}}},
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
    "/api/actions/preview": {"post": {
        "summary": "What a draft with these fields would reach and say; stores nothing (the "
                   "console's live preview)",
        "requestBody": _body({"$ref": "#/components/schemas/PreviewIn"}, EXAMPLES["action"]),
        "responses": {"200": _json({"$ref": "#/components/schemas/DraftPreview"}),
                      **_errors(400, 401, 403, 413, 422)}}},
    "/api/actions/{action_id}/widen/preview": {"post": {
        "summary": "Who widening to this area would add (only people not yet alerted); stores "
                   "nothing",
        "parameters": ACTION_ID,
        "requestBody": _body({"type": "object", "required": ["area"], "properties": {
            "area": {"$ref": "#/components/schemas/Area"}}}, EXAMPLES["widen"]),
        "responses": {"200": _json({"$ref": "#/components/schemas/Reach"}),
                      **_errors(400, 401, 403, 404, 413, 422)}}},
    "/api/actions/{action_id}/update/preview": {"post": {
        "summary": "Who an update would go to now and by which channel, and its SMS; sends nothing",
        "parameters": ACTION_ID,
        "requestBody": _body({"type": "object", "required": ["text"], "properties": {
            "text": _text(MAX_MESSAGE)}}, EXAMPLES["update"]),
        "responses": {"200": _json({"$ref": "#/components/schemas/FollowupPreview"}),
                      **_errors(400, 401, 403, 404, 413, 422)}}},
    "/api/actions/{action_id}/close/preview": {"post": {
        "summary": "Who the outcome would go to now and by which channel, and its SMS; closes "
                   "nothing",
        "parameters": ACTION_ID,
        "requestBody": _body({"type": "object", "required": ["outcome"], "properties": {
            "outcome": _text(MAX_MESSAGE)}}, EXAMPLES["close"]),
        "responses": {"200": _json({"$ref": "#/components/schemas/FollowupPreview"}),
                      **_errors(400, 401, 403, 404, 413, 422)}}},
    "/api/geocode": {"get": {
        "summary": "Where a Dutch address is (the configured geocoder), to centre the console's "
                   "map on an incident",
        "parameters": [
            {"name": "postcode", "in": "query", "required": True,
             "schema": {"type": "string", "example": "2711AB"}},
            {"name": "number", "in": "query", "required": True,
             "schema": {"type": "string", "pattern": "^[0-9]{1,5}$", "example": "1"}},
            {"name": "addition", "in": "query", "required": False,
             "schema": {"type": "string", "maxLength": 6}}],
        "responses": {"200": _json({"type": "object", "required": ["lat", "lon"], "properties": {
            "lat": {"type": "number"}, "lon": {"type": "number"}}}),
                      **_errors(401, 403, 404, 422, 503)}}},
    "/api/actions/{action_id}/events": {"get": {
        "summary": "Server-sent events (text/event-stream): a `state` event with the action's "
                   "status, areas, delivery counters and progress, and its tips new since the "
                   "last event, whenever any of it changed (checked every second). The event id "
                   "is the newest tip sent: reconnect with Last-Event-ID to continue. A stream "
                   "ends after EVENTS_STREAM_SECONDS; EventSource reconnects by itself",
        "parameters": [*ACTION_ID, {"name": "Last-Event-ID", "in": "header", "required": False,
                                    "schema": {"type": "string"}}],
        "responses": {"200": {"description": "An event stream",
                              "content": {"text/event-stream": {"schema": SSE_EVENT}}},
                      **_errors(401, 403, 404),
                      "503": {"description": "Too many event streams open in this web process "
                                             "(EVENT_STREAMS_PER_PROCESS); retry after Retry-After",
                              "content": {"application/json": {"schema": ERROR}}}}}},
    "/api/actions/{action_id}/close": {"post": {
        "summary": "Close with an outcome; reached participants get it, pending sends stop",
        "parameters": ACTION_ID,
        "requestBody": _body({"type": "object", "required": ["outcome"], "properties": {
            "outcome": _text(MAX_MESSAGE)}}, EXAMPLES["close"]),
        "responses": {"202": _json({"$ref": "#/components/schemas/Action"}, "Accepted"),
                      **_errors(400, 401, 403, 404, 409, 413, 422)}}},
}

PATHS.update({
    "/api/groups": {
        "get": {"summary": "Neighbourhood groups (areas summarised); operators may read",
                "parameters": [{"name": "status", "in": "query", "required": False,
                                "schema": {"type": "string", "enum": list(GROUP_STATUSES)}}],
                "responses": {"200": _json({"type": "object", "required": ["groups"],
                                            "properties": {"groups": {"type": "array", "items": {
                                                "$ref": "#/components/schemas/GroupSummary"}}}}),
                              **_errors(401, 403, 422)}},
        "post": {"summary": "Register a group (status requested); the answer warns about size and "
                            "lists the active groups it overlaps",
                 "requestBody": _body({"$ref": "#/components/schemas/GroupIn"}, EXAMPLES["group"]),
                 "responses": {"201": _json({"$ref": "#/components/schemas/Group"}, "Created"),
                               **_errors(400, 401, 403, 413, 422)}}},
    "/api/groups/{group_id}": {
        "get": {"summary": "One group with its administrator", "parameters": GROUP_ID,
                "responses": {"200": _json({"$ref": "#/components/schemas/Group"}),
                              **_errors(401, 403, 404)}},
        "delete": {"summary": "Erase a group on request: its administrator, sign requests and "
                              "texts go too (the audit trail keeps who erased which id)",
                   "parameters": GROUP_ID,
                   "responses": {"200": _json({"type": "object", "required": ["id", "erased"],
                                               "properties": {"id": {"type": "integer"},
                                                              "erased": {"type": "boolean"}}}),
                                 **_errors(401, 403, 404)}},
        "patch": {"summary": "Change a group; held to the same rules as a new one",
                  "parameters": GROUP_ID,
                  "requestBody": _body({"$ref": "#/components/schemas/GroupPatch"},
                                       {"member_count": 38}),
                  "responses": {"200": _json({"$ref": "#/components/schemas/Group"}),
                                **_errors(400, 401, 403, 404, 413, 422)}}},
    "/api/groups/{group_id}/approve": {"post": {
        "summary": "Approve a requested (or inactive) group: it becomes active and public",
        "parameters": GROUP_ID,
        "responses": {"200": _json({"$ref": "#/components/schemas/Group"}),
                      **_errors(401, 403, 404, 409)}}},
    "/api/public/groups": {"post": {
        "summary": "A resident registers a group (no token; a few per client address an "
                   "hour). It waits as requested for municipality staff",
        "security": [],
        "requestBody": _body({"$ref": "#/components/schemas/GroupIn"}, EXAMPLES["group"]),
        "responses": {"201": _json({"type": "object", "required": ["id", "status", *NOTES],
                                    "properties": {"id": {"type": "integer"},
                                                   "status": {"type": "string"}, **NOTES}},
                                   "Created"),
                      **_errors(400, 413, 422, 429)}}},
    "/api/public/groups.geojson": {"get": {
        "summary": "Active groups as GeoJSON (no token); administrators' name and e-mail only "
                   "with their consent, never a phone number",
        "security": [],
        "responses": {"200": {"description": "OK", "content": {
            "application/geo+json": {"schema": GROUP_FEATURES}}}}}},
})

SUPPLY_ID = [{"name": "request_id", "in": "path", "required": True, "schema": ID}]
SCHEMAS["SupplyIn"] = {
    "type": "object", "required": ["address", "postcode"],
    "description": "At least one sign or sticker",
    "properties": {
        "signs": {"type": "integer", "minimum": 0, "maximum": supplies.MAX_SIGNS, "default": 0,
                  "description": "'Let op: Buurtpreventie' street signs"},
        "stickers": {"type": "integer", "minimum": 0, "maximum": supplies.MAX_STICKERS,
                     "default": 0, "description": "Door stickers"},
        "address": {**_text(supplies.MAX_ADDRESS), "example": "Markt 1, Zoetermeer",
                    "description": "Street, house number and town to deliver to"},
        "postcode": {"type": "string", "example": "2711AB"}}}
SCHEMAS["Supply"] = {
    "type": "object", "required": ["id", "group_id", "signs", "stickers", "address", "postcode",
                                   "status", "created_at", "approved_at", "delivered_at"],
    "properties": {
        "id": {"type": "integer"}, "group_id": {"type": "integer"},
        "signs": {"type": "integer"}, "stickers": {"type": "integer"},
        "address": {"type": "string"}, "postcode": {"type": "string"},
        "status": {"type": "string", "enum": list(SUPPLY_STATUSES)},
        "created_at": {"type": "string", "format": "date-time"},
        "approved_at": {"type": "string", "format": "date-time", "nullable": True},
        "delivered_at": {"type": "string", "format": "date-time", "nullable": True}}}
SUPPLY_LIST = _json({"type": "object", "required": ["requests"], "properties": {
    "requests": {"type": "array", "items": {"$ref": "#/components/schemas/Supply"}}}})
PATHS.update({
    "/api/groups/{group_id}/supplies": {
        "get": {"summary": "A group's sign and sticker requests", "parameters": GROUP_ID,
                "responses": {"200": SUPPLY_LIST, **_errors(401, 403, 404)}},
        "post": {"summary": "Request signs and stickers for an active group (for its "
                            "administrator, who gets an SMS at each step)",
                 "parameters": GROUP_ID,
                 "requestBody": _body({"$ref": "#/components/schemas/SupplyIn"},
                                      {"signs": 2, "stickers": 30,
                                       "address": "Markt 1, Zoetermeer", "postcode": "2711AB"}),
                 "responses": {"201": _json({"$ref": "#/components/schemas/Supply"}, "Created"),
                               **_errors(400, 401, 403, 404, 409, 413, 422)}}},
    "/api/supplies": {"get": {
        "summary": "Sign and sticker requests of every group, oldest first",
        "parameters": [{"name": "status", "in": "query", "required": False, "schema": {
            "type": "string", "enum": list(SUPPLY_STATUSES)}}],
        "responses": {"200": SUPPLY_LIST, **_errors(401, 403, 422)}}},
    "/api/supplies/{request_id}/approve": {"post": {
        "summary": "A new request is approved (the administrator is texted)",
        "parameters": SUPPLY_ID,
        "responses": {"200": _json({"$ref": "#/components/schemas/Supply"}),
                      **_errors(401, 403, 404, 409)}}},
    "/api/supplies/{request_id}/deliver": {"post": {
        "summary": "An approved request is delivered (the administrator is texted)",
        "parameters": SUPPLY_ID,
        "responses": {"200": _json({"$ref": "#/components/schemas/Supply"}),
                      **_errors(401, 403, 404, 409)}}},
})

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
