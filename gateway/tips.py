"""Tips: which actions a caller may be calling about, saving a tip exactly once, and who called.

A caller is "alerted" for an action when its alert (or, for a group's administrator, its group
message) went to their number and the provider took it or it reached them; not when it failed,
was cancelled or still waits to be sent."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, null, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from callflows.tipline import MAX_CHOICES, Subject
from gateway.models import Action, Delivery, Participant, Tip
from gateway.models import delivery as state
from gateway.models.action import ACTIVE

ALERTED = state.REACHED | {state.QUEUED, state.RINGING, state.IN_PROGRESS, state.SENT}
LOCAL_TIME = ZoneInfo("Europe/Amsterdam")


# A neighbourhood group's administrator got the action too (to forward it into the group):
# what they text or call back about is that action's, like a participant's.
ALERTS = (state.ALERT, *state.GROUP_ALERTS)


def _alerted(phone: str):
    return (Delivery.phone == phone, Delivery.purpose.in_(ALERTS), Delivery.status.in_(ALERTED))


def clock(moment: datetime | None) -> str | None:
    """'14:03' in Dutch time: what an operator reads off the wall."""
    return moment.astimezone(LOCAL_TIME).strftime("%H:%M") if moment else None


def _alerted_at_query(action_id, phone: str):
    """When the action's alert went out to `phone`, as a scalar subquery (NULL: not alerted)."""
    return (select(func.coalesce(Delivery.claimed_at, Delivery.created_at))
            .where(Delivery.action_id == action_id, *_alerted(phone)).limit(1).scalar_subquery())


def alerted_at(db: Session, action_id: int | None, phone: str | None) -> datetime | None:
    """When this action's alert went out to `phone`; None if it did not alert them."""
    if action_id is None or not phone:
        return None
    return db.scalar(select(_alerted_at_query(action_id, phone)))


# What the tip line needs of an action: never its area, which may be a polygon of 2,000 points.
CARD = (Action.id, Action.description, Action.operator_line)


def subject(action, line: str, alerted: datetime | None) -> Subject:
    """`action`: an Action, or a row of CARD."""
    return Subject(id=action.id, description=action.description,
                   line=action.operator_line or line, alerted_at=clock(alerted))


def _subjects_query(phone: str):
    return (select(*CARD, func.coalesce(Delivery.claimed_at, Delivery.created_at))
            .join(Delivery, Delivery.action_id == Action.id)
            .where(Action.status == ACTIVE, *_alerted(phone))
            .order_by(Action.started_at.desc(), Action.id.desc()).limit(MAX_CHOICES))


def subjects_for(db: Session, phone: str | None, control_room: str) -> list[Subject]:
    """The active actions that alerted this number, newest first (at most one digit each)."""
    if not phone:
        return []
    return [subject(row, control_room, row[-1]) for row in db.execute(_subjects_query(phone))]


def incoming(db: Session, phone: str | None,
             control_room: str) -> tuple[list[Subject], Subject | None, str]:
    """What a new tip-line call needs: the caller's subjects, else the action a tip is linked
    to (only_active), and their language; in one query for an alerted caller."""
    if phone:
        language = (select(Participant.language).where(Participant.phone == phone).limit(1)
                    .scalar_subquery())
        rows = db.execute(_subjects_query(phone).add_columns(language)).all()
        if rows:
            return ([subject(row, control_room, row[-2]) for row in rows], None,
                    rows[0][-1] or "nl")
    return [], only_active(db, control_room), language_of(db, phone)


def only_active(db: Session, control_room: str) -> Subject | None:
    """A caller we did not alert (a neighbour was told) is linked only when exactly one action
    is active: a wrong link would send a tip to the wrong operator."""
    active = db.execute(select(*CARD).where(Action.status == ACTIVE).limit(2)).all()
    return subject(active[0], control_room, None) if len(active) == 1 else None


def subjects_of(db: Session, action_ids: list[int], phone: str | None,
                control_room: str) -> list[Subject]:
    """These actions as the caller's subjects, in the order given, in one query (a webhook
    under a flood of callers should cost a round trip, not one per action)."""
    if not action_ids:
        return []
    moment = _alerted_at_query(Action.id, phone) if phone else null()
    rows = db.execute(select(*CARD, moment).where(Action.id.in_(action_ids))).all()
    found = {row.id: subject(row, control_room, row[-1]) for row in rows}
    return [found[i] for i in action_ids if i in found]


def subject_of(db: Session, action_id: int | None, phone: str | None,
               control_room: str) -> Subject | None:
    found = subjects_of(db, [action_id], phone, control_room) if action_id else []
    return found[0] if found else None


def action_for_caller(db: Session, phone: str | None) -> int | None:
    """The action a message from this number is about: the newest active one that alerted it,
    else the only active one."""
    alerted = subjects_for(db, phone, "")
    if alerted:
        return alerted[0].id
    only = only_active(db, "")
    return only.id if only else None


def language_of(db: Session, phone: str | None) -> str:
    if not phone:
        return "nl"
    return db.scalar(select(Participant.language).where(Participant.phone == phone)) or "nl"


def save(db: Session, **fields) -> bool:
    """Insert a tip unless its provider sid is already saved (a replayed webhook, or the same
    one racing us): one statement, which also notes when the caller was alerted for the tip's
    action. True if it was new."""
    if "alerted_at" not in fields:
        action_id, phone = fields.get("action_id"), fields.get("phone")
        fields["alerted_at"] = _alerted_at_query(action_id, phone) if action_id and phone else None
    dialect = db.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise RuntimeError(f"no insert-or-ignore for {dialect}")
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (insert(Tip).values(**fields).on_conflict_do_nothing(index_elements=["provider_sid"])
                 .returning(Tip.id))
    return db.execute(statement).scalar() is not None


def from_message(db: Session, action_id: int | None, **fields) -> bool:
    """A text message that is a tip. True when the sender should get the automatic
    confirmation: the first tip they sent for this action (one is enough; more would invite
    pumping)."""
    earlier = db.scalar(select(Tip.id).where(
        Tip.phone == fields.get("phone"), Tip.phone.is_not(None),
        Tip.action_id.is_(None) if action_id is None else Tip.action_id == action_id).limit(1))
    return save(db, action_id=action_id, **fields) and earlier is None


def caller_key(secret: str, phone: str | None) -> str | None:
    """A stable name for a caller that does not reveal the number: the same number calling three
    times shows as one caller with three tips."""
    if not phone:
        return None
    return "c-" + hmac.new(secret.encode(), phone.encode(), hashlib.sha256).hexdigest()[:12]


def calls_per_caller(db: Session, tips: list[Tip]) -> dict[tuple[int | None, str], int]:
    """How many tips each (action, number) among `tips` has in all, for "one caller, three calls"."""
    phones = {t.phone for t in tips if t.phone}
    if not phones:
        return {}
    rows = db.execute(select(Tip.action_id, Tip.phone, func.count()).where(Tip.phone.in_(phones))
                      .group_by(Tip.action_id, Tip.phone))
    return {(action, phone): n for action, phone, n in rows}
