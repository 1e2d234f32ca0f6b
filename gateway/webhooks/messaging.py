"""Inbound SMS and WhatsApp messages on our numbers: STOP/START/INFO keywords (callflows/sms.py),
anything else is a tip.
Twilio posts both here; the sender's address is read in one place (phones.parse_address).

Anyone can text us, so nobody unauthenticated may make us send much: we reply only to people we
know (participants) and to INFO / HELP (which explains us), at most REPLIES_PER_DAY times a day
each, and keep at most TIPS_PER_HOUR tips an hour from one sender (a flood is counted, not
stored)."""

from __future__ import annotations

import logging

from flask import Response, request
from sqlalchemy import select, update
from twilio.twiml.messaging_response import MessagingResponse

from callflows import sms as flow
from callflows import texts
from gateway import tips
from gateway.models import Participant
from gateway.models import tip as tip_kinds
from gateway.phones import mask, parse_address
from gateway.runtime import of_app
from gateway.service import heterdaadkracht
from gateway.webhooks import bp

log = logging.getLogger("gateway.webhooks")

REPLIES_PER_DAY = 5
TIPS_PER_HOUR = 20


@bp.post("/sms/inbound")
def sms_inbound():
    runtime = of_app()
    channel, sender = parse_address(request.form.get("From"))
    body = request.form.get("Body", "")
    keyword = flow.keyword(body)
    limits = runtime.limits
    reply = None
    with runtime.transaction() as db:
        known = sender is not None and db.scalar(
            select(Participant.id).where(Participant.phone == sender)) is not None
        language = tips.language_of(db, sender)
        # A group administrator answering the Heterdaadkracht question (JA), or leaving (STOP).
        opt_in_reply = heterdaadkracht.on_reply(db, sender, keyword, body)
        if opt_in_reply and not (keyword == "stop" and known):
            reply = opt_in_reply
        elif keyword in ("stop", "start") and known:
            db.execute(update(Participant).where(Participant.phone == sender)
                       .values(active=keyword == "start"))
            reply = texts.text("sms_stopped" if keyword == "stop" else "sms_started", language)
        elif keyword == "info" and sender is not None:  # anyone may ask; replies are capped a day
            reply = texts.text("sms_info", language,
                               url=runtime.config.public_base_url + "/deelnemen")
        elif keyword is None:
            if limits.allow(f"tips:{sender or 'unknown'}", TIPS_PER_HOUR, 3600):
                confirm = tips.from_message(
                    db, tips.action_for_caller(db, sender), kind=tip_kinds.SMS, channel=channel,
                    phone=sender, body=body[:1600],
                    provider_sid=request.form.get("MessageSid", "")[:40])
                reply = texts.text("sms_tip_thanks", language) if known and confirm else None
            else:
                log.warning("sms.tip_flood from=%s", mask(sender))
    if reply and not limits.allow(f"replies:{sender}", REPLIES_PER_DAY, 86400):
        reply = None
    log.info("sms.inbound channel=%s from=%s keyword=%s replied=%s", channel, mask(sender),
             keyword or "-", reply is not None)
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return Response(str(response), mimetype="application/xml")
