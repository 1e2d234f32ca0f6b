"""After a timeout or a crash, a delivery can sit in SENDING with nobody knowing whether the
provider created the call. Ask the provider: adopt what it has, or release it to be sent."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update

from gateway.dispatch import deliveries
from gateway.models import Delivery, utcnow
from gateway.models import delivery as state
from gateway.runtime import Runtime

log = logging.getLogger("worker.verify")

# Clocks differ between us and the provider; look a little before our claim.
CLOCK_SLACK = timedelta(seconds=60)


def verify_sending(rt: Runtime, delivery_id: int) -> str:
    with rt.sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None or delivery.status != state.SENDING:
            return "settled"  # a callback or the worker finished it meanwhile
        phone, channel, claimed_at = delivery.phone, delivery.channel, delivery.claimed_at
        known = set(session.scalars(select(Delivery.provider_sid).where(
            Delivery.phone == phone, Delivery.provider_sid.is_not(None))))
    since = (claimed_at or utcnow()) - CLOCK_SLACK
    if channel == "voice":
        records = rt.provider.calls.list(to=phone, from_=rt.config.voice_from_number, limit=50)
    else:
        records = rt.provider.messages.list(to=phone, from_=rt.config.sms_from, limit=50)
    found = [r.sid for r in records
             if r.sid not in known and r.date_created is not None and r.date_created >= since]
    with rt.transaction() as session:
        if found:
            deliveries.accepted(session, delivery_id, found[0])
            outcome = "adopted"
        else:
            session.execute(update(Delivery).where(
                Delivery.id == delivery_id, Delivery.status == state.SENDING)
                .values(status=state.PENDING, next_attempt_at=None, updated_at=utcnow()))
            outcome = "released"
    if outcome == "released":
        rt.jobs.send([delivery_id])
    log.info("verify.%s delivery=%s", outcome, delivery_id)
    return outcome
