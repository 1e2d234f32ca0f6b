"""The calls we place: what the participant hears when they pick up, the keys they can press,
and the answering-machine verdict that sends a voicemail the short version."""

from __future__ import annotations

import logging

from flask import Response, request

from callflows import voice as flow
from gateway.channels.voice import is_machine
from gateway.dispatch import content, deliveries
from gateway.models import Action, ActionUpdate, Delivery, Participant
from gateway.models import delivery as state
from gateway.provider import gateway as outcomes
from gateway.runtime import of_app
from gateway.webhooks import bp

log = logging.getLogger("gateway.webhooks")


def twiml(response) -> Response:
    return Response(str(response), mimetype="application/xml")


def _load(delivery_id: int):
    """The delivery, its action, the listener's language and the update text, if any."""
    with of_app().sessions() as db:
        delivery = db.get(Delivery, delivery_id)
        if delivery is None:
            return None
        action = db.get(Action, delivery.action_id)
        participant = db.get(Participant, delivery.participant_id) \
            if delivery.participant_id else None
        update = db.get(ActionUpdate, delivery.round) if delivery.purpose == state.UPDATE else None
        if request.form.get("AnsweredBy") and request.form["AnsweredBy"] != "unknown":
            # Read the verdict from every request that carries it.
            deliveries.note_answered_by(db, delivery_id, delivery.attempts,
                                        request.form["AnsweredBy"])
            db.commit()
    return delivery, action, participant.language if participant else "nl", \
        update.text if update else None


def _words(purpose: str, action: Action, update_text: str | None, language: str) -> str:
    config = of_app().config
    if purpose == state.OUTCOME:
        return flow.outcome_text(action.outcome or "", language)
    return flow.update_text(update_text or "", content.tipline_spoken(config), language)


@bp.post("/voice/message/<int:delivery_id>")
def voice_message(delivery_id: int):
    runtime = of_app()
    config = runtime.config
    loaded = _load(delivery_id)
    if loaded is None:
        return twiml(flow.nothing_to_say())
    delivery, action, language, update_text = loaded
    if delivery.purpose != state.ALERT:
        return twiml(flow.spoken(_words(delivery.purpose, action, update_text, language),
                                 language, config.tts_voice))
    return twiml(flow.alert(action.incident_type, action.description,
                            content.tipline_spoken(config), language, config.tts_voice,
                            runtime.urls.alert_keys(delivery_id)))


@bp.post("/voice/keys/<int:delivery_id>")
def alert_keys(delivery_id: int):
    """1: hear it again; 2: straight through to the control room (a tip for this action)."""
    from gateway.webhooks.tipline import connect_for

    digits = request.form.get("Digits", "")
    if digits == flow.REPEAT:
        return voice_message(delivery_id)
    loaded = _load(delivery_id)
    config = of_app().config
    if loaded is None:
        return twiml(flow.nothing_to_say())
    delivery, _action, language, _ = loaded
    if digits == flow.CONNECT:
        log.info("alert.connect delivery=%s action=%s", delivery_id, delivery.action_id)
        return connect_for(delivery.action_id, language)
    return twiml(flow.goodbye(content.tipline_spoken(config), language, config.tts_voice))


@bp.post("/voice/amd/<int:delivery_id>/<int:attempt>")
def amd_verdict(delivery_id: int, attempt: int):
    """The asynchronous answering-machine verdict. A machine gets the short voicemail text,
    which ends with the tip line; the person who picked up has heard the alert from the start."""
    runtime = of_app()
    answered_by, call_sid = request.form.get("AnsweredBy", ""), request.form.get("CallSid", "")
    with runtime.transaction() as db:
        delivery = db.get(Delivery, delivery_id)
        if delivery is None or delivery.attempts != attempt:
            return ("", 204)
        if answered_by:
            deliveries.note_answered_by(db, delivery_id, attempt, answered_by)
        if is_machine(answered_by):
            deliveries.correct_to_voicemail(db, delivery_id, attempt)
    log.info("amd delivery=%s answered_by=%s", delivery_id, answered_by or "-")
    if is_machine(answered_by) and call_sid:
        result = runtime.provider.redirect_call(call_sid, runtime.urls.voicemail(delivery_id))
        if not isinstance(result, outcomes.Accepted):  # the call may have ended meanwhile
            log.warning("amd.redirect_failed delivery=%s result=%s", delivery_id, result)
    return ("", 204)


@bp.post("/voice/voicemail/<int:delivery_id>")
def voicemail_message(delivery_id: int):
    config = of_app().config
    loaded = _load(delivery_id)
    if loaded is None:
        return twiml(flow.nothing_to_say())
    delivery, action, language, update_text = loaded
    if delivery.purpose == state.ALERT:
        words = flow.voicemail_text(action.incident_type, action.description,
                                    content.tipline_spoken(config), language)
    else:
        words = _words(delivery.purpose, action, update_text, language)
    return twiml(flow.spoken(words, language, config.tts_voice))
