"""RQ job entry points. Each takes ids only, re-reads its rows, returns quietly when there is
nothing to do, and is safe to run twice: RQ may deliver a job again after a crash."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from gateway import areas, runtime
from gateway.dispatch import deliveries, selection
from gateway.models import Action, Delivery, utcnow
from gateway.models import delivery as state
from gateway.models.action import ACTIVE, CLOSED
from worker import sending, verify

log = logging.getLogger("worker.jobs")

# Outcomes are re-checked for this long after a close, to catch calls answered at closing time.
OUTCOME_WINDOW = timedelta(hours=1)


def start_action(action_id: int) -> None:
    rt = runtime.current()
    with rt.transaction() as session:
        action = session.get(Action, action_id)
        if action is None or action.status != ACTIVE:
            log.info("fanout.skip action=%s", action_id)
            return
        people = selection.recipients(session, areas.parse(action.area))
        deliveries.create_alerts(session, action_id, people)
    _enqueue_pending(rt, action_id, state.ALERT)
    log.info("fanout.done action=%s recipients=%s", action_id, len(people))


def send_batch(delivery_ids: list[int]) -> dict[str, int]:
    return dict(sending.send_batch(runtime.current(), delivery_ids))


def close_action(action_id: int) -> None:
    rt = runtime.current()
    with rt.transaction() as session:
        action = session.get(Action, action_id)
        if action is None or action.status != CLOSED:
            return
        cancelled = deliveries.cancel_pending(session, action_id)
        deliveries.create_outcomes(session, action_id)
    _enqueue_pending(rt, action_id, state.OUTCOME)
    log.info("close.done action=%s cancelled=%s", action_id, cancelled)


def outcome_for(delivery_id: int) -> None:
    """An alert that reached its person after the action was closed still gets the outcome."""
    rt = runtime.current()
    with rt.transaction() as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None:
            return
        deliveries.create_outcomes(session, delivery.action_id, [delivery_id])
    _enqueue_pending(rt, delivery.action_id, state.OUTCOME)


def verify_sending(delivery_id: int) -> str:
    return verify.verify_sending(runtime.current(), delivery_id)


def reconcile() -> dict[str, int]:
    """The sweep that makes Redis disposable: everything owed is found again in the database."""
    rt = runtime.current()
    now = utcnow()
    with rt.transaction() as session:
        active = list(session.scalars(select(Action.id).where(Action.status == ACTIVE)))
        recently_closed = list(session.scalars(select(Action.id).where(
            Action.status == CLOSED, Action.closed_at >= now - OUTCOME_WINDOW)))
        for action_id in recently_closed:
            deliveries.create_outcomes(session, action_id)
        stale = list(session.scalars(select(Delivery.id).where(
            Delivery.status == state.SENDING,
            Delivery.claimed_at < now - timedelta(seconds=rt.config.stale_sending_seconds))))
    requeued = 0
    for action_id in active:
        requeued += _enqueue_pending(rt, action_id, state.ALERT)
    for action_id in recently_closed:
        requeued += _enqueue_pending(rt, action_id, state.OUTCOME)
    for delivery_id in stale:
        rt.jobs.verify(delivery_id, 0)
    log.info("reconcile.done requeued=%s stale=%s", requeued, len(stale))
    return {"requeued": requeued, "stale": len(stale)}


def _enqueue_pending(rt, action_id: int, purpose: str) -> int:
    # Commit first, then enqueue: a job never looks for a row that is not there yet.
    with rt.sessions() as session:
        ids = deliveries.pending_ids(session, action_id, purpose, due_before=utcnow())
    rt.jobs.send_in_batches(ids, rt.config.send_batch_size)
    return len(ids)
