"""What SMS and WhatsApp share: Twilio's Messages resource and its statuses."""

from __future__ import annotations

from gateway.channels.base import Channel, StatusChange
from gateway.models import delivery as state

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


class MessageChannel(Channel):
    resource = "messages"

    def status_change(self, form, known_answered_by=None) -> StatusChange:
        return StatusChange(MESSAGE_STATUS.get(form.get("MessageStatus", "")),
                            form.get("MessageSid") or None, form.get("ErrorCode") or None)
