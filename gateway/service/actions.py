"""The life of an action: draft (with a preview of its reach and texts), start (with the
confirmation threshold), widen, update, close. Each function is one transaction with its audit
event; jobs are enqueued only after the commit, so a worker always finds what it was sent for."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from callflows.segments import measure
from gateway import areas, channels
from gateway.dispatch import content, deliveries, selection
from gateway.dispatch import groups as group_reach
from gateway.errors import ApiError
from gateway.models import Action, ActionUpdate, AuditEvent, utcnow
from gateway.models import delivery as state
from gateway.models.action import (
    ACTIVE,
    CLOSED,
    DISCARDED,
    DRAFT,
    INCIDENT_TYPES,
    NEEDS_CONSENT,
)
from gateway.runtime import Runtime

MAX_DESCRIPTION = 600
MAX_MESSAGE = 300  # outcome and update texts
# Above this many recipients a start must be confirmed: sending to tens of thousands of people
# by a slip of the mouse must be hard.
CONFIRM_ABOVE = 1000


# Characters no text may hold. PostgreSQL cannot store NUL, and a lone surrogate (JSON allows
# "\ud800") is not Unicode at all: both would be a 500 at the database. The other C0 controls
# and U+FFFE/U+FFFF are not allowed in XML, so the TwiML that speaks the text would be broken;
# C1 controls (and DEL) are mojibake, never typed on purpose. Refused rather than stripped: the
# operator's words are carried exactly as typed, so we do not silently change them. Tab, newline
# and carriage return are valid XML and speech reads them as a pause, so they stay.
CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff"  # a regex class's inside
_FORBIDDEN = re.compile(rf"[{CONTROL_CHARACTERS}\ud800-\udfff]")


def check_characters(value: str, field: str) -> str:
    found = _FORBIDDEN.search(value)
    if found:
        code = f"U+{ord(found.group()):04X}"
        if 0xD800 <= ord(found.group()) <= 0xDFFF:
            raise ApiError(422, field, f"must not contain a lone surrogate ({code}): send valid Unicode")
        what = "control character" if ord(found.group()) < 0xA0 else "non-character"
        raise ApiError(422, field, f"must not contain the {what} {code}")
    return value


def _text(value: object, field: str, max_length: int) -> str:
    if not isinstance(value, str):
        raise ApiError(422, field, "is required" if value is None else "must be a string")
    value = check_characters(value, field).strip()
    if not value:
        raise ApiError(422, field, "must not be empty")
    if len(value) > max_length:
        raise ApiError(422, field, f"must be at most {max_length} characters")
    return value


def _area(data: object, field: str = "area") -> areas.Area:
    if data is None:
        raise ApiError(422, field, "is required")
    try:
        return areas.parse(data)
    except areas.InvalidArea as exc:
        raise ApiError(422, field, str(exc)) from None


def _fits(purpose: str, incident_type: str, body: str, field: str, rt: Runtime) -> None:
    problem = content.too_long(content.texts_of(purpose, incident_type, body, rt.config),
                               rt.config)
    if problem:
        raise ApiError(422, field, problem)


def load(db: Session, action_id: int, lock: bool = False) -> Action:
    query = select(Action).where(Action.id == action_id)
    action = db.scalar(query.with_for_update() if lock else query)
    if action is None:
        raise ApiError(404, "action_id", "no such action")
    return action


def _locked_in(db: Session, action_id: int, status: str, doing: str) -> Action:
    """The action, locked for this transaction, if it is in `status`; else a 409 that says so."""
    action = load(db, action_id, lock=True)
    if action.status != status:
        what = "a draft" if status == DRAFT else "an active action"
        hint = f"this one is {action.status}"
        if action.status == DRAFT and doing == "closed":
            hint = "a draft sent nothing: discard it instead (DELETE)"
        raise ApiError(409, "status", f"only {what} can be {doing}; {hint}")
    return action


def _audit(db: Session, operator_id: int | None, action: Action, event: str, **detail) -> None:
    db.add(AuditEvent(operator_id=operator_id, action_id=action.id, event=event, detail=detail))


def preview_area(db: Session, area: areas.Area, exclude_action: int | None = None) -> dict:
    """Who an area would reach, per channel; with `exclude_action`, only people that action
    has not alerted yet (what widening adds)."""
    return selection.reach(db, area, exclude_action)


def _groups_switch(rt: Runtime, incident_type: str, value: object) -> bool:
    """Whether group administrators are reached: as sent, else the incident type's default."""
    if value is None:
        return incident_type in rt.config.group_incident_types
    if not isinstance(value, bool):
        raise ApiError(422, "groups", "must be true or false")
    return value


def preview_groups(rt: Runtime, db: Session, area: areas.Area, enabled: bool,
                   exclude_action: int | None = None) -> dict:
    """Heterdaadkracht: how many groups and administrators the area reaches (0 when switched
    off; `available` says how many it would reach switched on)."""
    found = group_reach.count(group_reach.reached(db, area, exclude_action,
                                                  rt.config.geocoder_table or None))
    shown = found if enabled else dict.fromkeys(found, 0)
    return {"enabled": enabled, **shown, "available": found["groups"]}


def draft(rt: Runtime, operator_id: int | None, incident_type: object, description: object,
          area: object, consent: object = False, operator_line: str | None = None,
          groups: object = None) -> Action:
    if incident_type not in INCIDENT_TYPES:
        raise ApiError(422, "incident_type", f"must be one of {', '.join(INCIDENT_TYPES)}")
    description = _text(description, "description", MAX_DESCRIPTION)
    parsed = _area(area)
    with_groups = _groups_switch(rt, incident_type, groups)
    if incident_type in NEEDS_CONSENT and consent is not True:
        raise ApiError(422, "consent", "a missing-person action needs the recorded consent of "
                                       "family or guardian: send \"consent\": true")
    _fits(state.ALERT, incident_type, description, "description", rt)
    with rt.transaction() as db:
        reach = preview_area(db, parsed)
        reach["groups"] = preview_groups(rt, db, parsed, with_groups)
        action = Action(incident_type=incident_type, description=description,
                        area=parsed.geojson, widened=[], status=DRAFT, created_by=operator_id,
                        consent_recorded=consent is True, operator_line=operator_line,
                        groups=with_groups,
                        preview={**reach, **content.preview(incident_type, description,
                                                            rt.config)})
        db.add(action)
        db.flush()
        _audit(db, operator_id, action, "action.created", recipients=reach["total"],
               consent_recorded=action.consent_recorded, groups=with_groups,
               group_administrators=reach["groups"]["administrators"])
    return action


def start(rt: Runtime, operator_id: int | None, action_id: int, confirm: bool = False) -> Action:
    with rt.transaction() as db:
        action = _locked_in(db, action_id, DRAFT, "started")
        expected = (action.preview or {}).get("total", 0)
        if expected > CONFIRM_ABOVE and not confirm:
            raise ApiError(409, "confirm", f"this reaches {expected} participants; "
                                           "repeat with {\"confirm\": true} to send")
        action.status, action.started_at = ACTIVE, utcnow()
        _audit(db, operator_id, action, "action.started", expected_recipients=expected,
               confirmed=bool(confirm))
    rt.jobs.fan_out(action_id, 0)
    return action


def widen(rt: Runtime, operator_id: int | None, action_id: int, area: object) -> tuple[Action, dict]:
    """Add an area to an active action: only people not yet alerted are alerted."""
    parsed = _area(area)
    with rt.transaction() as db:
        action = _locked_in(db, action_id, ACTIVE, "widened")
        added = preview_area(db, parsed, exclude_action=action_id)
        added["groups"] = preview_groups(rt, db, parsed, action.groups, exclude_action=action_id)
        action.widened = [*(action.widened or []), parsed.geojson]
        index = len(action.widened)
        _audit(db, operator_id, action, "action.widened", area_index=index,
               new_recipients=added["total"])
    rt.jobs.fan_out(action_id, index)
    return action, added


def update(rt: Runtime, operator_id: int | None, action_id: int, text: object) -> ActionUpdate:
    """A message to everyone the action has reached so far, by their channel."""
    text = _text(text, "text", MAX_MESSAGE)
    _fits(state.UPDATE, "", text, "text", rt)
    with rt.transaction() as db:
        action = _locked_in(db, action_id, ACTIVE, "updated")
        message = ActionUpdate(action_id=action_id, text=text, created_by=operator_id)
        db.add(message)
        db.flush()
        _audit(db, operator_id, action, "action.updated", update_id=message.id, text=text)
    rt.jobs.followups(action_id, state.UPDATE, message.id)
    return message


def close(rt: Runtime, operator_id: int | None, action_id: int, outcome: object) -> Action:
    """Stop alerting; everyone who was reached gets the outcome."""
    outcome = _text(outcome, "outcome", MAX_MESSAGE)
    _fits(state.OUTCOME, "", outcome, "outcome", rt)
    with rt.transaction() as db:
        action = _locked_in(db, action_id, ACTIVE, "closed")
        action.status, action.outcome, action.closed_at = CLOSED, outcome, utcnow()
        _audit(db, operator_id, action, "action.closed", outcome=outcome)
    rt.jobs.followups(action_id, state.OUTCOME, 0)
    return action


def discard(rt: Runtime, operator_id: int | None, action_id: int) -> Action:
    """A draft that will not be started: kept (with its audit trail), never sent."""
    with rt.transaction() as db:
        action = _locked_in(db, action_id, DRAFT, "discarded")
        action.status = DISCARDED
        _audit(db, operator_id, action, "action.discarded")
    return action


def overview(db: Session, action_ids: list[int]) -> dict[int, dict]:
    """Delivery counts of many actions in one query (the console lists fifty at once)."""
    return deliveries.counts(db, action_ids)


def preview(rt: Runtime, incident_type: object, description: object, area: object,
            groups: object = None) -> dict:
    """What a draft with these fields would reach and say, without storing anything: the
    console previews while the operator is still drawing. The same checks as `draft`.
    The description may still be missing (the operator draws first): then only the reach,
    with the texts null."""
    if incident_type not in INCIDENT_TYPES:
        raise ApiError(422, "incident_type", f"must be one of {', '.join(INCIDENT_TYPES)}")
    texts = dict.fromkeys(("sms_text", "sms_encoding", "sms_segments", "voice_text"))
    if description is not None and (not isinstance(description, str) or description.strip()):
        description = _text(description, "description", MAX_DESCRIPTION)
        _fits(state.ALERT, incident_type, description, "description", rt)
        texts = content.preview(incident_type, description, rt.config)
    parsed = _area(area)
    with_groups = _groups_switch(rt, incident_type, groups)
    with rt.sessions() as db:
        reach = preview_area(db, parsed)
        reach["groups"] = preview_groups(rt, db, parsed, with_groups)
    return {**reach, **texts}


def preview_widening(rt: Runtime, action_id: int, area: object) -> dict:
    """Who widening an action to `area` would add: only people it has not alerted yet."""
    parsed = _area(area)
    with rt.sessions() as db:
        action = load(db, action_id)
        added = preview_area(db, parsed, exclude_action=action_id)
        added["groups"] = preview_groups(rt, db, parsed, action.groups, exclude_action=action_id)
        return added


def preview_followup(rt: Runtime, action_id: int, purpose: str, text: object) -> dict:
    """Who an update or the outcome would go to now, by which channel, and its SMS: everyone the
    action reached, voicemail by text (deliveries.followup_reach)."""
    field = "outcome" if purpose == state.OUTCOME else "text"
    text = _text(text, field, MAX_MESSAGE)
    _fits(purpose, "", text, field, rt)
    sms_text = content.texts_of(purpose, "", text, rt.config)["nl"]
    parts = measure(sms_text)
    with rt.sessions() as db:
        load(db, action_id)
        reach = {**dict.fromkeys(channels.NAMES, 0), **deliveries.followup_reach(db, action_id)}
        administrators = deliveries.group_followup_reach(db, action_id)
    return {**reach, "total": sum(reach.values()), "group_administrators": administrators,
            "sms_text": sms_text, "sms_encoding": parts.encoding, "sms_segments": parts.count}
