"""Status callbacks, one route for every channel. They may come late, twice or out of order:
deliveries.advance only ever moves a delivery forward, and the URL names the attempt, so a
callback of an earlier attempt (before a redial) changes nothing."""

from __future__ import annotations

import logging

from flask import abort, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import channels
from gateway.dispatch import deliveries
from gateway.dispatch.retry import RetryPolicy
from gateway.models import Action, Delivery
from gateway.models import delivery as state
from gateway.models.action import ACTIVE, CLOSED
from gateway.runtime import Runtime, of_app
from gateway.webhooks import bp

log = logging.getLogger("gateway.webhooks")

UNANSWERED = frozenset({state.BUSY, state.NO_ANSWER})
# Alerts whose reaching someone after the close still owes them the outcome.
REACHES = (state.ALERT, *state.GROUP_ALERTS)


@bp.post("/status/<channel>/<int:delivery_id>/<int:attempt>")
def status_callback(channel: str, delivery_id: int, attempt: int):
    if channel not in channels.REGISTRY:
        abort(404, description="no such channel")
    runtime = of_app()
    follow_up = _forward(runtime, channel, delivery_id, attempt)
    if follow_up is UNDECIDED:
        with runtime.transaction() as db:
            follow_up = _apply_in_full(runtime, db, channel, delivery_id, attempt)
    if follow_up:
        follow_up()  # after the commit: the job must find what it was sent for
    return ("", 204)  # 2xx whatever happened, so the provider stops retrying


UNDECIDED = object()


def _forward(runtime: Runtime, channel: str, delivery_id: int, attempt: int):
    """The common case, a forward move of a request whose sid we hold: one statement, and no
    transaction around it (BEGIN and COMMIT were two of its three round trips). UNDECIDED
    when the full path must read the delivery first; a failure also takes that path, since
    a group message's SMS fallback is created in the same transaction as the failure."""
    change = channels.get(channel).status_change_alone(request.form)
    if change is None:
        return UNDECIDED
    if change.status is None:
        return None
    if not change.sid or change.status in UNANSWERED or change.status in deliveries.FAILED_FOR_GOOD:
        return UNDECIDED
    with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        moved = deliveries.advance_known(conn, delivery_id, attempt, channel, change.status,
                                         change.sid, change.error_code, change.answered_by)
    if moved is None:
        return UNDECIDED
    log.info("callback delivery=%s status=%s moved=True", delivery_id, change.status)
    if owes_outcome(change.status, moved.purpose, moved.action_status):
        return lambda: runtime.jobs.outcome_for(delivery_id)
    return None


def owes_outcome(status: str, purpose: str, action_status: str) -> bool:
    """An alert that reached someone after the action closed: they still get the outcome."""
    return status in state.REACHED and purpose in REACHES and action_status == CLOSED


def _apply_in_full(runtime: Runtime, db: Session, channel: str, delivery_id: int, attempt: int):
    # One query for the delivery and its action's status.
    delivery = db.execute(
        select(Delivery.attempts, Delivery.channel, Delivery.answered_by, Delivery.provider_sid,
               Delivery.purpose, Delivery.redials, Action.status.label("action_status"))
        .join(Action, Action.id == Delivery.action_id).where(Delivery.id == delivery_id)
    ).one_or_none()
    if delivery is None or delivery.attempts != attempt or delivery.channel != channel:
        log.info("callback.stale delivery=%s attempt=%s", delivery_id, attempt)
        return None
    change = channels.get(channel).status_change(request.form, delivery.answered_by)
    if change.status is None:
        return None
    if change.sid and delivery.provider_sid and delivery.provider_sid != change.sid:
        log.warning("callback.other_sid delivery=%s", delivery_id)
        return None
    if change.sid and not delivery.provider_sid and db.scalar(select(Delivery.id).where(
            Delivery.provider_sid == change.sid, Delivery.id != delivery_id)):
        log.warning("callback.sid_of_another delivery=%s", delivery_id)  # never adopt it
        return None
    if change.status in UNANSWERED and delivery.purpose == state.ALERT:
        policy = RetryPolicy.from_config(runtime.config)
        delay = policy.redial(delivery.redials, attempt, delivery.action_status == ACTIVE)
        if delay is not None:
            key = runtime.jobs.retry_key(delivery_id, attempt)
            redial = deliveries.schedule_retry(db, delivery_id, attempt, delay, key,
                                               change.status, redial=True)
            log.info("callback delivery=%s status=%s redial_in=%.0fs", delivery_id,
                     change.status, delay.total_seconds())
            return (lambda: runtime.jobs.send_later(key, delay)) if redial else None
    moved = deliveries.advance(db, delivery_id, attempt, change.status, sid=change.sid,
                               error_code=change.error_code, answered_by=change.answered_by)
    log.info("callback delivery=%s status=%s moved=%s", delivery_id, change.status, moved)
    if not moved:
        return None
    if owes_outcome(change.status, delivery.purpose, delivery.action_status):
        return lambda: runtime.jobs.outcome_for(delivery_id)
    if change.status in deliveries.FAILED_FOR_GOOD:
        # A group message whose WhatsApp failed: by SMS instead (once: the unique key).
        batch = deliveries.create_fallback(db, delivery_id, runtime.jobs.batch_key)
        if batch:
            log.info("callback.fallback delivery=%s batch=%s", delivery_id, batch)
            return lambda: runtime.jobs.send([batch])
    return None
