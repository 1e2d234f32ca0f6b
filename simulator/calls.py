"""Call engine: the life of a call from queued to its final status, with status callbacks.

What happens once the call is answered (fetching and following TwiML) lives in twiml.py.
"""

from __future__ import annotations

import logging
import math
import random
import time
import uuid
from email.utils import format_datetime

from simulator import amd
from simulator.logs import log, mask
from simulator.resources import API_VERSION
from simulator.runtime import Runtime
from simulator.state import Call, now

RING_SECONDS = 2.0  # until a person or a machine picks up
BUSY_SECONDS = 1.0  # until the busy tone ends the attempt
CALLBACK_RETRIES = 2  # status callbacks are retried on connection errors and 5xx
ANSWERING = {"answer", "slow", "rate-limit", "unsubscribed"}  # a person picks up


def start_outbound(rt: Runtime, call: Call) -> None:
    rt.pool.submit(run_outbound, rt, call)


def start_inbound(rt: Runtime, call: Call) -> None:
    rt.pool.submit(run_inbound, rt, call)


def wait(rt: Runtime, call: Call, seconds: float) -> bool:
    """Sleep `seconds` of simulated time; False as soon as the API asked to end or redirect the
    call (a live-call update interrupts whatever is playing, as on Twilio)."""
    deadline = time.monotonic() + seconds * rt.store.speed
    if deadline > time.monotonic():
        rt.store.publish(call, full=True)  # what /sim/calls/<sid> shows while it lasts
    while True:
        if call.cancel_requested or call.hangup_requested or call.redirect_to:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return True
        time.sleep(min(left, 0.25))


def run_outbound(rt: Runtime, call: Call) -> None:
    progress = Progress(rt, call)
    behaviour = call.behaviour.behaviour
    log("call_started", logging.DEBUG, call_sid=call.sid, to=mask(call.to), behaviour=behaviour)
    if call.cancel_requested:
        return finish(rt, call, progress, "canceled")
    with rt.store.lock:
        call.start_time = call.date_updated = now()
    progress.emit("initiated", "initiated")
    if behaviour == "unreachable":
        wait(rt, call, BUSY_SECONDS)
        return finish(rt, call, progress, "failed")

    set_status(rt, call, "ringing")
    progress.emit("ringing", "ringing")
    if behaviour == "busy":
        ok = wait(rt, call, BUSY_SECONDS)
        return finish(rt, call, progress, "busy" if ok else "canceled")
    if behaviour == "no-answer":
        ok = wait(rt, call, call.timeout)
        return finish(rt, call, progress, "no-answer" if ok else "canceled")
    if not wait(rt, call, RING_SECONDS):
        return finish(rt, call, progress, "canceled")

    answer(rt, call, progress)
    converse(rt, call, progress)
    finish(rt, call, progress, "completed")


def run_inbound(rt: Runtime, call: Call) -> None:
    """An inbound call rings the gateway's number; the TwiML decides whether it is answered."""
    progress = Progress(rt, call)
    log("inbound_call", call_sid=call.sid, caller=mask(call.from_), to=mask(call.to))
    with rt.store.lock:
        call.start_time = now()
    set_status(rt, call, "ringing")
    progress.emit("ringing", "ringing")
    final = converse(rt, call, progress)
    finish(rt, call, progress, final or "completed")


def converse(rt: Runtime, call: Call, progress: Progress) -> str | None:
    """Follow the TwiML; a bug in the interpreter still ends the call properly."""
    from simulator.twiml import APPLICATION_ERROR, Conversation  # twiml imports this module

    try:
        return Conversation(rt, call, progress).run()
    except Exception as exc:
        call.transcript.append({"verb": "error", "text": APPLICATION_ERROR, "detail": repr(exc)})
        log("conversation_crashed", logging.ERROR, call_sid=call.sid, error=repr(exc))
        logging.getLogger("simulator").exception("conversation crashed")
        return None


def set_status(rt: Runtime, call: Call, status: str) -> None:
    with rt.store.lock:
        if not call.final:
            call.status = status
            call.date_updated = now()
    rt.store.publish(call)


def answer(rt: Runtime, call: Call, progress: Progress) -> None:
    with rt.store.lock:
        if call.machine_detection and call.direction == "outbound-api":
            amd.plan(call)
        call.start_time = now()
    set_status(rt, call, "in-progress")
    progress.emit("answered", "in-progress")


def finish(rt: Runtime, call: Call, progress: Progress, status: str) -> None:
    with rt.store.lock:
        # The REST API may already have ended the call (cancel / hang up); its status stands.
        if not call.final:
            call.status = status
            call.end_time = now()
        status = call.status
        if call.duration is None:
            call.duration = math.ceil(call.talk_seconds) if status == "completed" else 0
        call.date_updated = now()
    progress.emit("completed", status, final=True)
    progress.flush()
    rt.store.publish(call, full=True)
    log("call_ended", logging.DEBUG, call_sid=call.sid, status=status, duration=call.duration)


class Progress:
    """Status callbacks of one call: numbering, fault injection, bookkeeping."""

    def __init__(self, rt: Runtime, call: Call) -> None:
        self.rt = rt
        self.call = call
        self.held: list[dict[str, str]] = []

    def base_params(self, status: str) -> dict[str, str]:
        call = self.call
        params = {
            "AccountSid": call.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": call.sid,
            "CallStatus": status,
            "Called": call.to,
            "Caller": call.from_,
            "Direction": call.direction,
            "From": call.from_,
            "To": call.to,
        }
        if call.parent_call_sid:
            params["ParentCallSid"] = call.parent_call_sid
        if call.machine_detection and call.answered_by:
            params["AnsweredBy"] = call.answered_by
        return params

    def emit(self, event: str, status: str, final: bool = False) -> None:
        call = self.call
        if not call.status_callback or event not in call.status_callback_events:
            return
        params = self.base_params(status)
        params.update(
            SequenceNumber=str(call.sequence),
            Timestamp=format_datetime(now()),
            CallbackSource="call-progress-events",
        )
        call.sequence += 1
        if final:
            if call.error_code:  # what went wrong on our side, as Twilio reports it
                params["ErrorCode"] = str(call.error_code)
            seconds = call.duration or 0
            params["CallDuration"] = str(seconds)
            params["Duration"] = str(math.ceil(seconds / 60))  # billed minutes, as Twilio
        if self.rt.store.config["reorder_callbacks"]:
            self.held.append(params)
        else:
            self.send(params)

    def flush(self) -> None:
        """Send held callbacks in a shuffled order that really differs from the true one."""
        if not self.held:
            return
        shuffled = self.held[:]
        random.shuffle(shuffled)
        if len(shuffled) > 1 and shuffled == self.held:
            shuffled.reverse()
        self.held = []
        for params in shuffled:
            self.send(params)

    def send(self, params: dict[str, str]) -> None:
        copies = 2 if self.rt.store.config["duplicate_callbacks"] else 1
        token = uuid.uuid4().hex  # a replay is the same delivery again, so the same token
        for _ in range(copies):
            result = self.rt.webhooks.send(
                self.call.status_callback,
                params,
                self.call.status_callback_method,
                retries=CALLBACK_RETRIES,
                token=token,
            )
            entry = result.entry(self.call.status_callback, params["CallStatus"], params,
                                 kind="status", sequence=int(params["SequenceNumber"]))
            self.call.callbacks.append(entry)
            if not result.ok:
                log(
                    "status_callback_failed",
                    logging.WARNING,
                    call_sid=self.call.sid,
                    status=params["CallStatus"],
                    http_status=result.status,
                )
