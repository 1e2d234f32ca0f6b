"""Opting out, from wherever we learn it: an SMS keyword (gateway/webhooks/messaging.py) or the
provider refusing a message because the recipient unsubscribed at the carrier (Twilio 21610).
Opted out is `active = false`: the selection skips them, START brings them back."""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.models import Delivery, Participant

log = logging.getLogger("gateway.optout")

UNSUBSCRIBED = "21610"  # Twilio: "Attempt to send to unsubscribed recipient"


def on_permanent_error(session: Session, delivery_id: int, code: str | None) -> None:
    """Called where a permanent provider error is recorded; acts on 21610 only."""
    if code != UNSUBSCRIBED:
        return
    owner = select(Delivery.participant_id).where(Delivery.id == delivery_id).scalar_subquery()
    changed = session.execute(update(Participant).where(Participant.id == owner,
                                                        Participant.active.is_(True))
                              .values(active=False)).rowcount
    if changed:
        log.info("optout.provider delivery=%s code=%s", delivery_id, code)
