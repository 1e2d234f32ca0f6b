from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow

# What a delivery carries. One row per (action, phone, purpose): never two alerts to one phone.
ALERT, OUTCOME = "alert", "outcome"

# The state machine. A worker claims PENDING -> SENDING atomically; the provider's answer makes
# it QUEUED (we have a sid) and callbacks move it on. SENDING is the only state a crash can leave
# ambiguous: the provider may or may not have the call, so it is reconciled, never blindly resent.
PENDING = "pending"          # created, waiting for a worker (or for its retry time)
SENDING = "sending"          # claimed by a worker, provider request in flight
QUEUED = "queued"            # provider accepted it
RINGING = "ringing"          # voice only
IN_PROGRESS = "in_progress"  # voice only: answered, message playing
SENT = "sent"                # sms only: handed to the carrier
# Final states: a final status never moves back, whatever callbacks arrive later.
ANSWERED = "answered"        # a person (or unknown) picked up and heard the message
VOICEMAIL = "voicemail"      # machine detection found voicemail; message left after the beep
BUSY = "busy"
NO_ANSWER = "no_answer"
DELIVERED = "delivered"
UNDELIVERED = "undelivered"  # carrier could not deliver (30003-30008)
FAILED = "failed"            # provider refused (21211 invalid, 21610 unsubscribed) or gave up
CANCELLED = "cancelled"      # action closed before it was sent

FINAL = frozenset({ANSWERED, VOICEMAIL, BUSY, NO_ANSWER, DELIVERED, UNDELIVERED, FAILED, CANCELLED})
REACHED = frozenset({ANSWERED, DELIVERED})
# Order used to ignore late and replayed callbacks: a status only ever moves up.
RANK = {PENDING: 0, SENDING: 1, QUEUED: 2, RINGING: 3, SENT: 3, IN_PROGRESS: 4}
RANK.update({status: 9 for status in FINAL})


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("action_id", "phone", "purpose", name="uq_delivery_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    phone: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(10), default=ALERT)
    status: Mapped[str] = mapped_column(String(12), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    provider_sid: Mapped[str | None] = mapped_column(String(40), unique=True)
    error_code: Mapped[str | None] = mapped_column(String(10))
    answered_by: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
