"""After a timeout or a crash, a delivery can sit in SENDING with nobody knowing whether the
provider created the call. Ask the provider: adopt what it has, or release it to be sent again
(the verification is part of that attempt, and MAX_SEND_ATTEMPTS caps the resends)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from gateway import channels
from gateway.dispatch import deliveries
from gateway.dispatch.retry import RetryPolicy
from gateway.models import Delivery, utcnow
from gateway.models import delivery as state
from gateway.runtime import Runtime

log = logging.getLogger("worker.verify")

# Clocks differ between us and the provider; look a little before our claim.
CLOCK_SLACK = timedelta(seconds=60)


def verify_sending(rt: Runtime, delivery_id: int, attempt: int, stale_only: bool = False) -> str:
    """`stale_only`: asked by reconciliation, which found the claim old. Its sender may still
    be waiting for a pacing slot; then it has renewed the claim, and is left alone."""
    with rt.sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None or delivery.status != state.SENDING or delivery.attempts != attempt:
            return "settled"  # a callback or the worker finished it meanwhile
        phone, channel, claimed_at = delivery.phone, delivery.channel, delivery.claimed_at
    stale_before = utcnow() - timedelta(seconds=rt.config.stale_sending_seconds)
    if stale_only and claimed_at is not None and claimed_at > stale_before:
        return "alive"
    with rt.sessions() as session:
        known = set(session.scalars(select(Delivery.provider_sid).where(
            Delivery.phone == phone, Delivery.provider_sid.is_not(None))))
    since = (claimed_at or utcnow()) - CLOCK_SLACK
    found = [sid for sid in channels.get(channel).find(rt.provider, phone, since, rt.config)
             if sid not in known]
    policy = RetryPolicy.from_config(rt.config)
    key = rt.jobs.retry_key(delivery_id, attempt)
    fallback = None
    with rt.transaction() as session:
        if found:
            deliveries.accepted(session, delivery_id, attempt, found[0])
            outcome = "adopted"
        elif stale_only:
            # A claim whose worker died before the provider had it: no attempt was made, so it
            # does not count (else a few Redis outages in a row could make someone skipped).
            released = deliveries.schedule_retry(
                session, delivery_id, attempt, timedelta(0), key, "stale",
                "the claim's worker stopped before sending", claimed_at=claimed_at,
                uncount=True)
            outcome = "released" if released else "alive"
        elif (delay := policy.after_not_found(attempt)) is not None:
            # Only if nobody renewed the claim while we asked: else its sender is at work.
            released = deliveries.schedule_retry(
                session, delivery_id, attempt, delay, key, "timeout",
                "the provider has no record of it", claimed_at=claimed_at)
            outcome = "released" if released else "alive"
        else:
            failed = deliveries.fail(session, delivery_id, attempt, "timeout",
                                     "no answer from the provider within the attempts allowed",
                                     claimed_at=claimed_at)
            outcome = "failed" if failed else "alive"
            fallback = deliveries.create_fallback(session, delivery_id, rt.jobs.batch_key) \
                if failed else None
    if outcome == "released":
        rt.jobs.send([key])
    if outcome == "failed" and fallback:
        rt.jobs.send([fallback])
    log.info("verify.%s delivery=%s attempt=%s", outcome, delivery_id, attempt)
    return outcome
