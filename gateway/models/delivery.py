from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow

# What a delivery carries. One row per (action, phone, purpose, round): never two alerts to one
# phone. `round` is 0 for the alert and the outcome, and the update's id for an update.
ALERT, UPDATE, OUTCOME = "alert", "update", "outcome"
# Heterdaadkracht: the same three, to the administrator of a neighbourhood group that the action's
# area overlaps, with a request to forward them into the group. They go by WhatsApp; when that
# fails for good, a delivery of its own goes by SMS (FALLBACK), so both attempts stay visible.
# An administrator who is also a participant gets both their participant alert and the group
# message: different purposes, different texts.
GROUP_ALERT, GROUP_UPDATE, GROUP_OUTCOME = "group_alert", "group_update", "group_outcome"
FALLBACK = {GROUP_ALERT: "group_alert_sms", GROUP_UPDATE: "group_update_sms",
            GROUP_OUTCOME: "group_outcome_sms"}
# What a group purpose says: the participant purpose whose text it carries.
GROUP_OF = {GROUP_ALERT: ALERT, GROUP_UPDATE: UPDATE, GROUP_OUTCOME: OUTCOME}
GROUP_OF.update({FALLBACK[p]: base for p, base in GROUP_OF.items()})
GROUP_PURPOSES = tuple(GROUP_OF)
GROUP_ALERTS = (GROUP_ALERT, FALLBACK[GROUP_ALERT])
PURPOSES = (ALERT, UPDATE, OUTCOME, *GROUP_PURPOSES)

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
# The waiting and sending states as SQL literals, for the partial indexes and their queries.
WAITING_SQL = "status IN (" + ", ".join(f"'{s}'" for s in sorted(WAITING)) + ")"
SENDING_SQL = f"status = '{SENDING}'"


class Delivery(Base):
    __tablename__ = "deliveries"
    # Every index costs each of the 100,000 inserts of a large fan-out, so the ones that only
    # serve rows in one state are partial: a new row enters just ix_deliveries_waiting, and a
    # final one leaves it. The queries that use them spell the same literal states
    # (gateway/dispatch/deliveries.py: IS_WAITING, IS_SENDING).
    __table_args__ = (
        UniqueConstraint("action_id", "phone", "purpose", "round", name="uq_delivery_once"),
        Index("ix_deliveries_waiting", "batch", postgresql_where=text(WAITING_SQL),
              sqlite_where=text(WAITING_SQL)),
        Index("ix_deliveries_sending", "claimed_at", postgresql_where=text(SENDING_SQL),
              sqlite_where=text(SENDING_SQL)),
        Index("uq_deliveries_provider_sid", "provider_sid", unique=True,
              postgresql_where=text("provider_sid IS NOT NULL"),
              sqlite_where=text("provider_sid IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: uq_delivery_once starts with action_id (one index less per insert).
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"))
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    phone: Mapped[str] = mapped_column(String(20))
    # The neighbourhood group whose administrator this is for (group purposes only). No foreign
    # key: erasing a group sets it to null itself (gateway/service/groups.py).
    group_id: Mapped[int | None]
    channel: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(20), default=ALERT)
    round: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    # Every claim counts, whatever ended it: MAX_SEND_ATTEMPTS caps them all.
    attempts: Mapped[int] = mapped_column(default=0)
    # Busy / unanswered calls redialled so far (CALL_RETRY_DELAYS_SECONDS).
    redials: Mapped[int] = mapped_column(default=0)
    # The send job that holds this row while it waits: its RQ job id. Reconcile asks Redis
    # about these keys only, so it costs what was lost, not what the action holds.
    batch: Mapped[str | None] = mapped_column(String(80))
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    provider_sid: Mapped[str | None] = mapped_column(String(40))
    error_code: Mapped[str | None] = mapped_column(String(10))
    answered_by: Mapped[str | None] = mapped_column(String(30))
    error_message: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
