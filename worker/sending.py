"""Hand deliveries to the provider. The database decides what to send (an atomic claim of a
whole batch); the provider's answer decides what happens next:

- accepted: store the sid (callbacks take it from there);
- 429 / 5xx: nothing was created, so retry later with backoff, up to max_send_attempts;
- other 4xx (21211 invalid number, 21610 unsubscribed): final, no retry;
- timeout or broken connection: the provider may have created it. Never resend blindly: leave
  it SENDING and verify against the provider's own records first (see worker/verify.py).

A batch is sent by `send_concurrency` threads: a create at Twilio takes 100-200 ms of network
time, so one request at a time would cap a worker at well under the contracted rate.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException

from callflows import sms as sms_flow
from gateway.dispatch import deliveries
from gateway.models import Action, Delivery, Participant
from gateway.models import delivery as state
from gateway.models.action import ACTIVE
from gateway.phones import mask, tipline_display
from gateway.runtime import Runtime

log = logging.getLogger("worker.sending")

CALL_EVENTS = ["initiated", "ringing", "answered", "completed"]
# How stale our view of "is the action still active?" may get during a batch.
ACTION_CHECK_SECONDS = 1.0


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


class ActiveActions:
    """Which actions are still active, re-read at most once a second, shared by the threads."""

    def __init__(self, rt: Runtime):
        self.rt, self.lock, self.checked, self.active = rt, threading.Lock(), 0.0, set()

    def __contains__(self, action_id: int) -> bool:
        with self.lock:
            if time.monotonic() - self.checked > ACTION_CHECK_SECONDS:
                with self.rt.sessions() as db:
                    self.active = set(db.scalars(select(Action.id).where(Action.status == ACTIVE)))
                self.checked = time.monotonic()
            return action_id in self.active


def send_batch(rt: Runtime, delivery_ids: list[int]) -> Counter:
    with rt.transaction() as db:
        claimed = deliveries.claim(db, delivery_ids)
        actions = {a.id: a for a in db.scalars(
            select(Action).where(Action.id.in_({d.action_id for d in claimed})))}
        languages = dict(db.execute(select(Participant.id, Participant.language).where(
            Participant.id.in_({d.participant_id for d in claimed}))).all())
        work = [(d.id, d.channel, d.purpose, d.action_id, d.attempts,
                 request_for(rt, d, actions[d.action_id], languages.get(d.participant_id, "nl")))
                for d in claimed]
    # The claim is committed and no connection is held while the provider is called.
    tally = Counter(skipped=len(delivery_ids) - len(work))
    active = ActiveActions(rt)
    with ThreadPoolExecutor(max(1, rt.config.send_concurrency)) as pool:
        tally.update(pool.map(lambda item: _send(rt, active, *item), work))
    return tally


def _send(rt: Runtime, active: ActiveActions, delivery_id: int, channel: str, purpose: str,
          action_id: int, attempts: int, request: dict) -> str:
    if purpose == state.ALERT and action_id not in active:
        with rt.transaction() as db:
            deliveries.cancel_claimed(db, delivery_id)  # closed while this batch was under way
        return "cancelled"
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
    with rt.transaction() as db:
        deliveries.accepted(db, delivery_id, sid)
    log.info("send.accepted delivery=%s channel=%s to=%s sid=%s",
             delivery_id, channel, mask(request["to"]), sid)
    return "accepted"


def _refused(rt: Runtime, delivery_id: int, attempts: int, exc: TwilioRestException) -> str:
    code = str(exc.code or exc.status)
    temporary = exc.status == 429 or exc.status >= 500
    with rt.transaction() as db:
        if temporary and attempts < rt.config.max_send_attempts:
            delay = backoff(attempts, rt.config.retry_base_seconds)
            deliveries.retry_later(db, delivery_id, delay, code)
            outcome = "retry"
        else:
            deliveries.give_up(db, delivery_id, code)
            outcome = "failed"
    if outcome == "retry":
        rt.jobs.send([delivery_id], delay.total_seconds())
    log.warning("send.%s delivery=%s status=%s code=%s attempt=%s",
                outcome, delivery_id, exc.status, code, attempts)
    return outcome
