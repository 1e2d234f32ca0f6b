"""Tips: which action a caller belongs to, and saving a tip exactly once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.models import Action, Delivery, Participant, Tip
from gateway.models import delivery as state
from gateway.models.action import ACTIVE


def action_for_caller(db: Session, phone: str | None) -> int | None:
    """The latest active action that alerted this number. A caller we did not alert (a
    neighbour was told) is linked only when exactly one action is active: a wrong link
    would send a tip to the wrong operator."""
    if phone:
        alerted = db.scalar(
            select(Action.id).join(Delivery, Delivery.action_id == Action.id)
            .where(Delivery.phone == phone, Delivery.purpose == state.ALERT,
                   Action.status == ACTIVE)
            .order_by(Action.started_at.desc()).limit(1))
        if alerted:
            return alerted
    active = list(db.scalars(select(Action.id).where(Action.status == ACTIVE).limit(2)))
    return active[0] if len(active) == 1 else None


def language_of(db: Session, phone: str | None) -> str:
    if not phone:
        return "nl"
    return db.scalar(select(Participant.language).where(Participant.phone == phone)) or "nl"


def save(db: Session, **fields) -> bool:
    """Insert a tip unless its provider sid is already saved (a replayed webhook)."""
    if db.scalar(select(Tip.id).where(Tip.provider_sid == fields["provider_sid"])):
        return False
    try:
        with db.begin_nested():
            db.add(Tip(**fields))
    except IntegrityError:  # the same replay, racing us
        return False
    return True
