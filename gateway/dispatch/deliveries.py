"""Creating, claiming and advancing deliveries. Every write here is a single conditional
statement, so two workers, a replayed callback or a crash cannot break the state machine."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gateway.dispatch.selection import Recipient
from gateway.models import Action, Delivery, utcnow
from gateway.models import delivery as state
from gateway.models.action import ACTIVE

INSERT_CHUNK = 1000


def _insert_ignoring_duplicates(session: Session, rows: list[dict]) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = postgresql.insert(Delivery).on_conflict_do_nothing(constraint="uq_delivery_once")
    elif dialect == "sqlite":
        stmt = sqlite.insert(Delivery).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two databases above are supported
        stmt = insert(Delivery)
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(stmt, rows[start:start + INSERT_CHUNK])


def create_alerts(session: Session, action_id: int, recipients: Iterable[Recipient]) -> None:
    """One alert delivery per phone; running it again (a retried job) adds nothing."""
    now = utcnow()
    rows = [
        {"action_id": action_id, "participant_id": r.participant_id, "phone": r.phone,
         "channel": r.channel, "purpose": state.ALERT, "status": state.PENDING,
         "attempts": 0, "created_at": now, "updated_at": now}
        for r in recipients
    ]
    if rows:
        _insert_ignoring_duplicates(session, rows)


def create_outcomes(session: Session, action_id: int, alert_ids: list[int] | None = None) -> None:
    """An outcome delivery for every alert that reached its person, by the same channel."""
    query = select(Delivery.participant_id, Delivery.phone, Delivery.channel).where(
        Delivery.action_id == action_id, Delivery.purpose == state.ALERT,
        Delivery.status.in_(state.REACHED))
    if alert_ids is not None:
        query = query.where(Delivery.id.in_(alert_ids))
    now = utcnow()
    rows = [
        {"action_id": action_id, "participant_id": r.participant_id, "phone": r.phone,
         "channel": r.channel, "purpose": state.OUTCOME, "status": state.PENDING,
         "attempts": 0, "created_at": now, "updated_at": now}
        for r in session.execute(query)
    ]
    if rows:
        _insert_ignoring_duplicates(session, rows)


def pending_ids(session: Session, action_id: int, purpose: str,
                due_before: datetime | None = None) -> list[int]:
    query = select(Delivery.id).where(
        Delivery.action_id == action_id, Delivery.purpose == purpose,
        Delivery.status == state.PENDING)
    if due_before is not None:
        query = query.where((Delivery.next_attempt_at.is_(None))
                            | (Delivery.next_attempt_at <= due_before))
    return list(session.scalars(query.order_by(Delivery.id)))


def claim(session: Session, delivery_ids: list[int]) -> list[Delivery]:
    """PENDING -> SENDING, atomically: of two workers holding the same ids each delivery goes
    to one of them. Alerts of an action that is no longer active are not claimed."""
    if not delivery_ids:
        return []
    active_or_outcome = (Delivery.purpose != state.ALERT) | (
        select(Action.status).where(Action.id == Delivery.action_id).scalar_subquery() == ACTIVE)
    now = utcnow()
    claimed = session.scalars(
        update(Delivery)
        .where(Delivery.id.in_(delivery_ids), Delivery.status == state.PENDING, active_or_outcome)
        .values(status=state.SENDING, attempts=Delivery.attempts + 1, claimed_at=now,
                updated_at=now)
        .returning(Delivery),
        execution_options={"populate_existing": True},
    ).all()
    return sorted(claimed, key=lambda d: d.id)


def cancel_claimed(session: Session, delivery_id: int) -> None:
    """A claimed alert whose action closed before its turn came: never sent."""
    session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.status == state.SENDING)
        .values(status=state.CANCELLED, updated_at=utcnow()))


def accepted(session: Session, delivery_id: int, sid: str) -> None:
    """The provider took it. A status callback may already have moved it further: keep that."""
    session.execute(
        update(Delivery).where(Delivery.id == delivery_id).values(
            provider_sid=sid,
            status=case((Delivery.status == state.SENDING, state.QUEUED), else_=Delivery.status),
            updated_at=utcnow()))


def retry_later(session: Session, delivery_id: int, delay: timedelta, error_code: str) -> None:
    session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.status == state.SENDING)
        .values(status=state.PENDING, next_attempt_at=utcnow() + delay, error_code=error_code,
                updated_at=utcnow()))


def give_up(session: Session, delivery_id: int, error_code: str) -> None:
    session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.status == state.SENDING)
        .values(status=state.FAILED, error_code=error_code, updated_at=utcnow()))


def advance(session: Session, delivery_id: int, new_status: str, sid: str | None = None,
            error_code: str | None = None, answered_by: str | None = None) -> bool:
    """Apply a provider status if it moves the delivery forward. Late, replayed and reordered
    callbacks lose: one UPDATE whose WHERE only admits a higher rank. Returns whether it moved."""
    lower = [s for s, rank in state.RANK.items() if rank < state.RANK[new_status]]
    values = {"status": new_status, "updated_at": utcnow()}
    if sid:
        values["provider_sid"] = func.coalesce(Delivery.provider_sid, sid)
    if error_code:
        values["error_code"] = error_code
    if answered_by:
        values["answered_by"] = answered_by
    result = session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.status.in_(lower))
        .values(**values))
    return result.rowcount == 1


def cancel_pending(session: Session, action_id: int) -> int:
    result = session.execute(
        update(Delivery).where(Delivery.action_id == action_id, Delivery.purpose == state.ALERT,
                               Delivery.status == state.PENDING)
        .values(status=state.CANCELLED, updated_at=utcnow()))
    return result.rowcount


def counts(session: Session, action_id: int) -> dict[str, dict[str, int]]:
    rows = session.execute(
        select(Delivery.purpose, Delivery.status, func.count())
        .where(Delivery.action_id == action_id)
        .group_by(Delivery.purpose, Delivery.status))
    result: dict[str, dict[str, int]] = {state.ALERT: {}, state.OUTCOME: {}}
    for purpose, status, n in rows:
        result.setdefault(purpose, {})[status] = n
    return result
