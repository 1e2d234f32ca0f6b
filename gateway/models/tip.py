from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow

# How a tip came in: a call put through to the control room, a recorded message, or an SMS.
CALL, RECORDING, SMS = "call", "recording", "sms"


class Tip(Base):
    __tablename__ = "tips"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Null when the caller could not be linked to one active action.
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164, whatever the channel
    channel: Mapped[str | None] = mapped_column(String(10))  # voice, sms, whatsapp
    body: Mapped[str | None] = mapped_column(Text)
    recording_url: Mapped[str | None] = mapped_column(String(300))
    duration_s: Mapped[int | None]
    # The provider's sid of what created the tip: a replayed webhook finds it and adds nothing.
    provider_sid: Mapped[str] = mapped_column(String(40), unique=True)
    # The tip-line call it came from, so the recording's status callback finds its tip.
    call_sid: Mapped[str | None] = mapped_column(String(40), index=True)
    # When this action's alert went out to the caller's number; null: not alerted for it.
    alerted_at: Mapped[datetime | None]
    handled_at: Mapped[datetime | None]
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
