"""Status callbacks for calls and messages. They may come late, twice or out of order:
deliveries.advance only ever moves a delivery forward, so every replay is harmless."""

from __future__ import annotations

import logging

from flask import request

from gateway.dispatch import deliveries
from gateway.dispatch import status as provider_status
from gateway.models import Action, Delivery
from gateway.models import delivery as state
from gateway.models.action import CLOSED
from gateway.runtime import of_app
from gateway.webhooks import bp

log = logging.getLogger("gateway.webhooks")


def _apply(delivery_id: int, new_status: str | None, sid: str | None, **extra) -> str:
    if new_status is None:
        return ("", 204)
    runtime = of_app()
    follow_up = False
    with runtime.transaction() as db:
        delivery = db.get(Delivery, delivery_id)
        if delivery is None or (sid and delivery.provider_sid and delivery.provider_sid != sid):
            log.warning("callback.unknown delivery=%s", delivery_id)
            return ("", 204)  # nothing of ours; 2xx so the provider does not retry forever
        moved = deliveries.advance(db, delivery_id, new_status, sid=sid, **extra)
        if moved and new_status in state.REACHED and delivery.purpose == state.ALERT:
            action = db.get(Action, delivery.action_id)
            follow_up = action.status == CLOSED  # reached after closing: still owed the outcome
    if follow_up:
        runtime.jobs.outcome_for(delivery_id)
    log.info("callback delivery=%s status=%s moved=%s", delivery_id, new_status, moved)
    return ("", 204)


@bp.post("/status/call/<int:delivery_id>")
def call_status(delivery_id: int):
    answered_by = request.form.get("AnsweredBy")
    new_status = provider_status.from_call(request.form.get("CallStatus", ""), answered_by)
    return _apply(delivery_id, new_status, request.form.get("CallSid"),
                  answered_by=answered_by)


@bp.post("/status/message/<int:delivery_id>")
def message_status(delivery_id: int):
    new_status = provider_status.from_message(request.form.get("MessageStatus", ""))
    return _apply(delivery_id, new_status, request.form.get("MessageSid"),
                  error_code=request.form.get("ErrorCode") or None)
