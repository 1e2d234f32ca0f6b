"""Hand one delivery to the provider. The database decides whether to send (an atomic claim);
the provider's answer decides what happens next:

- accepted: store the sid (callbacks take it from there);
- 429 / 5xx: nothing was created, so retry later with backoff, up to max_send_attempts;
- other 4xx (21211 invalid number, 21610 unsubscribed): final, no retry;
- timeout or broken connection: the provider may have created it. Never resend blindly: leave
  it SENDING and verify against the provider's own records first (see verify_sending).
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException

from callflows import sms as sms_flow
from gateway.dispatch import deliveries
from gateway.models import Action, Delivery, Participant
from gateway.models import delivery as state
from gateway.phones import mask, tipline_display
from gateway.runtime import Runtime

log = logging.getLogger("worker.sending")

CALL_EVENTS = ["initiated", "ringing", "answered", "completed"]


def backoff(attempts: int, base_seconds: float) -> timedelta:
    # Exponential with jitter, so many workers hitting one 429 don't come back in lockstep.
    delay = min(60.0, base_seconds * 2.0 ** (attempts - 1))
    return timedelta(seconds=delay * random.uniform(0.5, 1.0))


def request_for(rt: Runtime, delivery: Delivery, action: Action, language: str) -> dict:
    """The create() arguments for one delivery: a call whose TwiML we serve, or an SMS."""
    base, cfg = rt.config.public_base_url.rstrip("/"), rt.config
    if delivery.channel == "voice":
        return {
            "to": delivery.phone, "from_": cfg.voice_from_number,
            "url": f"{base}/twilio/voice/message/{delivery.id}", "method": "POST",
            "status_callback": f"{base}/twilio/status/call/{delivery.id}",
            "status_callback_event": CALL_EVENTS, "status_callback_method": "POST",
            # Wait for the voicemail beep, so a message left on voicemail is complete.
            "machine_detection": "DetectMessageEnd", "timeout": 25,
        }
    if delivery.purpose == state.OUTCOME:
        body = sms_flow.outcome(action.outcome or "", language)
    else:
        body = sms_flow.alert(action.incident_type, action.description,
                              tipline_display(cfg.tipline_number), language)
    return {"to": delivery.phone, "from_": cfg.sms_from, "body": body,
            "status_callback": f"{base}/twilio/status/message/{delivery.id}"}


def send_one(rt: Runtime, delivery_id: int) -> str:
    with rt.transaction() as session:
        delivery = deliveries.claim(session, delivery_id)
        if delivery is None:
            return "skipped"
        action = session.get(Action, delivery.action_id)
        language = session.scalar(
            select(Participant.language).where(Participant.id == delivery.participant_id)) or "nl"
        request = request_for(rt, delivery, action, language)
        attempts, channel = delivery.attempts, delivery.channel
    # The transaction is closed: no database connection is held during the provider call.
    try:
        if channel == "voice":
            sid = rt.provider.calls.create(**request).sid
        else:
            sid = rt.provider.messages.create(**request).sid
    except TwilioRestException as exc:
        return _refused(rt, delivery_id, attempts, exc)
    except Exception as exc:  # timeouts and broken connections: the outcome is unknown
        log.warning("send.unknown delivery=%s error=%s", delivery_id, type(exc).__name__)
        rt.jobs.verify(delivery_id, rt.config.verify_after_seconds)
        return "unknown"
    with rt.transaction() as session:
        deliveries.accepted(session, delivery_id, sid)
    log.info("send.accepted delivery=%s channel=%s to=%s sid=%s",
             delivery_id, channel, mask(request["to"]), sid)
    return "accepted"


def _refused(rt: Runtime, delivery_id: int, attempts: int, exc: TwilioRestException) -> str:
    code = str(exc.code or exc.status)
    temporary = exc.status == 429 or exc.status >= 500
    with rt.transaction() as session:
        if temporary and attempts < rt.config.max_send_attempts:
            delay = backoff(attempts, rt.config.retry_base_seconds)
            deliveries.retry_later(session, delivery_id, delay, code)
            outcome = "retry"
        else:
            deliveries.give_up(session, delivery_id, code)
            outcome = "failed"
    if outcome == "retry":
        rt.jobs.send([delivery_id], delay.total_seconds())
    log.warning("send.%s delivery=%s status=%s code=%s attempt=%s",
                outcome, delivery_id, exc.status, code, attempts)
    return outcome
