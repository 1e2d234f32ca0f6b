"""Data rights: export everything we hold about a participant, erase it on request, and purge
what we may no longer keep. Erasing keeps the delivery rows (so an action's statistics
survive) but takes every trace of the person off them."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import String, cast, delete, literal, or_, select, update
from sqlalchemy.orm import Session

from gateway.models import Delivery, Participant, Registration, Tip, utcnow
from gateway.models import delivery as state
from gateway.service.participants import serialise

log = logging.getLogger("gateway.privacy")

ERASED = "erased-"  # what an anonymised delivery's phone becomes (with its own id: still unique)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export(db: Session, participant: Participant) -> dict:
    """Everything we hold about one participant, as JSON: the registry entry, the codes texted
    (never the codes), every message we sent them and every tip they sent us."""
    phone = participant.phone
    registrations = db.scalars(select(Registration).where(or_(
        Registration.participant_id == participant.id, Registration.phone == phone))
        .order_by(Registration.id))
    deliveries = db.scalars(select(Delivery).where(or_(
        Delivery.participant_id == participant.id, Delivery.phone == phone))
        .order_by(Delivery.id))
    tips = db.scalars(select(Tip).where(Tip.phone == phone).order_by(Tip.id))
    return {
        "participant": {**serialise(participant), "created_at": _time(participant.created_at),
                        "verified_at": _time(participant.verified_at)},
        "codes": [{"purpose": r.purpose, "phone": r.phone, "created_at": _time(r.created_at),
                   "verified_at": _time(r.verified_at)} for r in registrations],
        "deliveries": [{"action_id": d.action_id, "purpose": d.purpose, "channel": d.channel,
                        "phone": d.phone, "status": d.status, "error_code": d.error_code,
                        "created_at": _time(d.created_at), "updated_at": _time(d.updated_at)}
                       for d in deliveries],
        "tips": [{"action_id": t.action_id, "kind": t.kind, "channel": t.channel, "body": t.body,
                  "recording_url": t.recording_url, "created_at": _time(t.created_at)}
                 for t in tips],
    }


def _anonymise(db: Session, where) -> int:
    """Deliveries keep action, purpose, channel, status and times; the number, the provider's
    sid (which finds the number at the provider) and its message (which may quote it) go."""
    return db.execute(update(Delivery).where(where).values(
        participant_id=None, phone=literal(ERASED, String) + cast(Delivery.id, String),
        provider_sid=None, error_message=None), execution_options={"synchronize_session": False}
    ).rowcount


def erase_group_messages(db: Session, group_id: int) -> int:
    """A group erased on request: what still waited to be sent to its administrator is
    cancelled, and the messages sent keep only what they were, not to whom (nor for which
    group: the id would find them again in the audit trail)."""
    mine = (Delivery.group_id == group_id) & Delivery.purpose.in_(state.GROUP_PURPOSES)
    db.execute(update(Delivery).where(mine, Delivery.status.in_(state.WAITING))
               .values(status=state.CANCELLED, updated_at=utcnow()))
    count = _anonymise(db, mine)
    db.execute(update(Delivery).where(mine).values(group_id=None),
               execution_options={"synchronize_session": False})
    return count


def erase(db: Session, participant: Participant) -> dict[str, int]:
    """Erase on request. What was still waiting to be sent to them is cancelled first."""
    phone, mine = participant.phone, Delivery.participant_id == participant.id
    db.execute(update(Delivery).where(mine, Delivery.status.in_(state.WAITING))
               .values(status=state.CANCELLED, updated_at=utcnow()))
    deliveries = _anonymise(db, mine | (Delivery.phone == phone))
    tips = db.execute(update(Tip).where(Tip.phone == phone).values(phone=None)).rowcount
    db.execute(delete(Registration).where(or_(Registration.participant_id == participant.id,
                                              Registration.phone == phone)))
    db.delete(participant)
    db.flush()
    log.info("privacy.erased participant=%s deliveries=%s tips=%s", participant.id, deliveries,
             tips)
    return {"deliveries": deliveries, "tips": tips}


def purge(db: Session, now: datetime, unverified_after: timedelta,
          deliveries_after: timedelta | None = None) -> dict[str, int]:
    """Codes and registrations older than `unverified_after` (used or not: a used one is spent),
    participants never verified by then (imported with --verify), and, with
    `deliveries_after`, the numbers on deliveries older than that."""
    cutoff = now - unverified_after
    codes = db.execute(delete(Registration).where(Registration.created_at < cutoff)).rowcount
    stale = list(db.scalars(select(Participant).where(Participant.verified_at.is_(None),
                                                      Participant.created_at < cutoff)))
    for participant in stale:
        erase(db, participant)
    anonymised = 0
    if deliveries_after is not None:
        anonymised = _anonymise(db, (Delivery.created_at < now - deliveries_after)
                                & ~Delivery.phone.startswith(ERASED)
                                & Delivery.status.in_(state.FINAL))
    return {"registrations": codes, "unverified_participants": len(stale),
            "anonymised_deliveries": anonymised}
