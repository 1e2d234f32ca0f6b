from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow

# What a delivery carries. One row per (action, phone, purpose, round): never two alerts to one
# phone. `round` is 0 for the alert and the outcome, and the update's id for an update.
ALERT, UPDATE, OUTCOME = "alert", "update", "outcome"
PURPOSES = (ALERT, UPDATE, OUTCOME)

# The state machine. A worker claims PENDING -> SENDING atomically; the provider's answer makes
# it QUEUED (we have a sid) and callbacks move it on. SENDING is the only state a crash can leave
# ambiguous: the provider may or may not have the call, so it is reconciled, never blindly resent.
PENDING = "pending"          # created, waiting for a worker
SENDING = "sending"          # claimed by a worker, provider request in flight
# Not a failure: the last attempt met a temporary error (429, 5xx, a timeout the provider never
# got) or a busy / unanswered phone that the retry policy redials. It is claimed again at
# next_attempt_at; error_code says why. Closing the action cancels it.
RETRY = "retry"
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
FAILED = "failed"            # refused for good (21211 invalid, 21610 unsubscribed) or out of tries
CANCELLED = "cancelled"      # action closed before it was sent

FINAL = frozenset({ANSWERED, VOICEMAIL, BUSY, NO_ANSWER, DELIVERED, UNDELIVERED, FAILED, CANCELLED})
# Reached: a person heard or got the alert, or voicemail took it. They get updates and the outcome;
# whoever was reached by voicemail gets them by SMS (see gateway/dispatch/deliveries.py).
REACHED = frozenset({ANSWERED, VOICEMAIL, DELIVERED})
WAITING = frozenset({PENDING, RETRY})
# Order used to ignore late and replayed callbacks within one attempt: a status only moves up.
# Callbacks of an earlier attempt are ignored altogether (their URL names the attempt).
RANK = {PENDING: 0, SENDING: 1, QUEUED: 2, RINGING: 3, SENT: 3, IN_PROGRESS: 4, RETRY: 8}
RANK.update({status: 9 for status in FINAL})
STATES = tuple(RANK)


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("action_id", "phone", "purpose", "round", name="uq_delivery_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    phone: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(10), default=ALERT)
    round: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(12), default=PENDING, index=True)
    # Every claim counts, whatever ended it: MAX_SEND_ATTEMPTS caps them all.
    attempts: Mapped[int] = mapped_column(default=0)
    # Busy / unanswered calls redialled so far (CALL_RETRY_DELAYS_SECONDS).
    redials: Mapped[int] = mapped_column(default=0)
    # The send job that holds this row while it waits: its RQ job id. Reconcile asks Redis
    # about these keys only, so it costs what was lost, not what the action holds.
    batch: Mapped[str | None] = mapped_column(String(80), index=True)
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    provider_sid: Mapped[str | None] = mapped_column(String(40), unique=True)
    error_code: Mapped[str | None] = mapped_column(String(10))
    answered_by: Mapped[str | None] = mapped_column(String(30))
    error_message: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
