"""Twilio's call and message statuses, mapped onto our delivery states."""

from __future__ import annotations

from gateway.models import delivery as state

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

MESSAGE_STATUS = {
    "accepted": state.QUEUED,
    "scheduled": state.QUEUED,
    "queued": state.QUEUED,
    "sending": state.QUEUED,
    "sent": state.SENT,
    "delivered": state.DELIVERED,
    "read": state.DELIVERED,
    "undelivered": state.UNDELIVERED,
    "failed": state.FAILED,
    "canceled": state.CANCELLED,
}


def from_call(call_status: str, answered_by: str | None) -> str | None:
    """'completed' means someone or something picked up; machine detection tells which."""
    if call_status == "completed":
        machine = bool(answered_by) and (answered_by.startswith("machine") or answered_by == "fax")
        return state.VOICEMAIL if machine else state.ANSWERED
    return CALL_STATUS.get(call_status)


def from_message(message_status: str) -> str | None:
    return MESSAGE_STATUS.get(message_status)
