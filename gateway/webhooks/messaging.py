"""Inbound SMS and WhatsApp messages on our numbers: STOP/START keywords, anything else is a tip.
Twilio posts both here; the sender's address is read in one place (phones.parse_address)."""

from __future__ import annotations

import logging

from flask import Response, request
from sqlalchemy import update
from twilio.twiml.messaging_response import MessagingResponse

from callflows import sms as flow
from callflows import texts
from gateway import tips
from gateway.models import Participant
from gateway.models import tip as tip_kinds
from gateway.phones import mask, parse_address
from gateway.runtime import of_app
from gateway.webhooks import bp

log = logging.getLogger("gateway.webhooks")


@bp.post("/sms/inbound")
def sms_inbound():
    runtime = of_app()
    channel, sender = parse_address(request.form.get("From"))
    body = request.form.get("Body", "")
    keyword = flow.keyword(body)
    with runtime.transaction() as db:
        language = tips.language_of(db, sender)
        if keyword in ("stop", "start") and sender:
            db.execute(update(Participant).where(Participant.phone == sender)
                       .values(active=keyword == "start"))
            reply = texts.text("sms_stopped" if keyword == "stop" else "sms_started", language)
        else:
            tips.save(db, action_id=tips.action_for_caller(db, sender), kind=tip_kinds.SMS,
                      channel=channel, phone=sender, body=body[:1600],
                      provider_sid=request.form.get("MessageSid", "")[:40])
            reply = texts.text("sms_tip_thanks", language)
    log.info("sms.inbound channel=%s from=%s keyword=%s", channel, mask(sender), keyword or "-")
    response = MessagingResponse()
    response.message(reply)
    return Response(str(response), mimetype="application/xml")
