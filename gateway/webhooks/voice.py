"""TwiML for the calls we place: what the participant hears when they pick up."""

from __future__ import annotations

from flask import Response

from callflows import voice as flow
from gateway.models import Action, Delivery, Participant
from gateway.models import delivery as state
from gateway.phones import spoken, tipline_display
from gateway.runtime import of_app
from gateway.webhooks import bp


def twiml(response) -> Response:
    return Response(str(response), mimetype="application/xml")


@bp.post("/voice/message/<int:delivery_id>")
def outbound_message(delivery_id: int):
    runtime = of_app()
    config = runtime.config
    with runtime.sessions() as db:
        delivery = db.get(Delivery, delivery_id)
        if delivery is None:
            return twiml(flow.nothing_to_say())
        action = db.get(Action, delivery.action_id)
        participant = db.get(Participant, delivery.participant_id) if delivery.participant_id \
            else None
        language = participant.language if participant else "nl"
    if delivery.purpose == state.OUTCOME:
        return twiml(flow.outcome(action.outcome or "", language, config.tts_voice))
    return twiml(flow.alert(action.incident_type, action.description,
                            spoken(tipline_display(config.tipline_number)), language,
                            config.tts_voice))
