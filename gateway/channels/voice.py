"""Spoken calls. The TwiML is served by our own webhook, so the request carries only URLs.

Answering-machine detection runs asynchronously: the person who picks up hears the alert at
once, and if the verdict says a machine the live call is redirected to a short voicemail text
(gateway/webhooks/voice.py)."""

from __future__ import annotations

from gateway.channels.base import Channel, Outgoing, ProviderRequest, StatusChange
from gateway.models import delivery as state

EVENTS = ["initiated", "ringing", "answered", "completed"]
RING_SECONDS = 25
MACHINE_VERDICTS = frozenset(
    {"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"})

CALL_STATUS = {
    "queued": state.QUEUED,
    "initiated": state.QUEUED,
    "ringing": state.RINGING,
    "in-progress": state.IN_PROGRESS,
    "busy": state.BUSY,
    "no-answer": state.NO_ANSWER,
    "failed": state.FAILED,
    "canceled": state.CANCELLED,
}


def is_machine(answered_by: str | None) -> bool:
    return answered_by in MACHINE_VERDICTS


def decisive(answered_by: str | None) -> str | None:
    """A detection verdict that says who answered; "unknown" says nothing."""
    return answered_by if answered_by and answered_by != "unknown" else None


def final_status(call_status: str, answered_by: str | None,
                 error_code: str | None = None) -> str | None:
    """'completed' means someone or something picked up; the detection verdict tells which. A
    call that ended in an application error (our TwiML broke: 11200, 12100, ...) heard
    nothing useful: it failed, it did not reach anyone."""
    if call_status == "completed" and error_code and error_code != "0":
        return state.FAILED
    if call_status == "completed":
        return state.VOICEMAIL if is_machine(answered_by) else state.ANSWERED
    return CALL_STATUS.get(call_status)


class Voice(Channel):
    name = "voice"
    resource = "calls"
    bucket = "calls"
    preference = 0

    def sender(self, config):
        return config.voice_from_number

    def rate(self, config):
        return config.calls_per_second

    def request(self, out: Outgoing, urls, config) -> ProviderRequest:
        params = {
            "to": out.phone, "from_": config.voice_from_number,
            "url": urls.voice_message(out.delivery_id), "method": "POST",
            "status_callback": urls.status(self.name, out.delivery_id, out.attempt),
            "status_callback_event": EVENTS, "status_callback_method": "POST",
            "machine_detection": "DetectMessageEnd", "async_amd": "true",
            "async_amd_status_callback": urls.amd(out.delivery_id, out.attempt),
            "async_amd_status_callback_method": "POST",
            "timeout": RING_SECONDS,
        }
        return ProviderRequest(self.resource, params, self.bucket, 1)

    def status_change(self, form, known_answered_by=None) -> StatusChange:
        answered_by = form.get("AnsweredBy") or None
        verdict = decisive(answered_by) or known_answered_by
        error_code = form.get("ErrorCode") or None
        return StatusChange(final_status(form.get("CallStatus", ""), verdict, error_code),
                            form.get("CallSid") or None, error_code, answered_by)

    def status_change_alone(self, form) -> StatusChange | None:
        # A completed call is a person or a voicemail: without a verdict in this very request,
        # that depends on the verdict an earlier one brought.
        if form.get("CallStatus") == "completed" and not decisive(form.get("AnsweredBy")):
            return None
        return self.status_change(form)
