"""Hand deliveries to the provider. The database decides what to send (an atomic claim of a
whole batch); the channel builds the request; the provider gateway paces it, sends it and says
what happened; the retry policy (gateway/dispatch/retry.py) decides what comes next.

A batch is sent by MAX_PROVIDER_CONCURRENCY threads: a create at Twilio takes 100-200 ms of
network time, so one request at a time would cap a worker far below the contracted rate.

The batch is claimed a few deliveries at a time, as the threads can take them: pacing may make a
delivery wait for its slot, and a claim that sits for long looks like a dead worker's to
reconciliation. A delivery that waited long renews its claim just before it goes out, and is
not sent if verification released it meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy import select

from gateway import channels
from gateway.channels import Outgoing
from gateway.dispatch import content, deliveries
from gateway.dispatch.retry import RetryPolicy
from gateway.models import Action, ActionUpdate, Participant
from gateway.models import delivery as state
from gateway.models.action import ACTIVE
from gateway.phones import mask
from gateway.provider import gateway as outcomes
from gateway.runtime import Runtime

log = logging.getLogger("worker.sending")

# How stale our view of "is the action still active?" may get during a batch.
ACTION_CHECK_SECONDS = 1.0
# Acceptances are recorded together, at least this often (and whenever a thread-count of them
# has gathered): a commit per delivery was four tenths of the send path.
RECORD_EVERY_SECONDS = 0.05
# A claim takes what the threads can send in about this long at the slowest configured rate
# (at least a delivery per thread, at most CLAIM_MAX): at Twilio's default 1 call/s that is one
# per thread, as fast as the provider lets us it saves most of the claims' round trips.
CLAIM_SECONDS, CLAIM_MAX = 0.5, 64
# A delivery our own side could not send (Redis away) waits this long before it is tried again.
NOT_SENT_DELAY = timedelta(seconds=5)


class ActiveActions:
    """Which actions are still active, re-read at most once a second, shared by the threads."""

    def __init__(self, rt: Runtime):
        self.rt, self.lock, self.checked, self.active = rt, threading.Lock(), 0.0, set()

    def __contains__(self, action_id: int) -> bool:
        with self.lock:
            if time.monotonic() - self.checked > ACTION_CHECK_SECONDS:
                with self.rt.sessions() as db:
                    self.active = set(db.scalars(select(Action.id).where(Action.status == ACTIVE)))
                self.checked = time.monotonic()
            return action_id in self.active


def _prepare(rt: Runtime, batch: str, limit: int) -> list[tuple[Outgoing, str, int, float]]:
    """Claim up to `limit` of the batch and build each one's outgoing message, in one
    transaction."""
    with rt.transaction() as db:
        claimed = deliveries.claim(db, batch, limit=limit)
        if not claimed:
            return []
        actions = {a.id: a for a in db.scalars(
            select(Action).where(Action.id.in_({d.action_id for d in claimed})))}
        languages = dict(db.execute(select(Participant.id, Participant.language).where(
            Participant.id.in_({d.participant_id for d in claimed}))).all())
        rounds = dict(db.execute(select(ActionUpdate.id, ActionUpdate.text).where(
            ActionUpdate.id.in_({d.round for d in claimed
                                 if state.GROUP_OF.get(d.purpose, d.purpose) == state.UPDATE}))).all())
        work = []
        for d in claimed:
            language = languages.get(d.participant_id, "nl")
            text = content.text_for(d.purpose, actions[d.action_id], rounds.get(d.round),
                                    language, rt.config)
            out = Outgoing(d.id, d.attempts, d.phone, d.purpose, language, text)
            work.append((out, d.channel, d.action_id, time.monotonic()))
        return work


def claim_size(config, threads: int) -> int:
    slowest = min(config.calls_per_second, config.sms_segments_per_second, config.whatsapp_per_second)
    return max(threads, min(CLAIM_MAX, int(slowest * CLAIM_SECONDS)))


def send_batch(rt: Runtime, batch: str) -> Counter:
    active = ActiveActions(rt)
    policy = RetryPolicy.from_config(rt.config)
    threads = max(1, rt.config.max_provider_concurrency)
    claim = claim_size(rt.config, threads)
    tally: Counter = Counter()
    # While the lease lives, reconciliation leaves this batch's waiting deliveries to us.
    lease_seconds = max(1.0, rt.config.stale_sending_seconds / 2)
    with rt.jobs.lease(batch, lease_seconds), ThreadPoolExecutor(threads) as pool:
        ready: deque = deque()  # claimed and built, waiting for a free thread
        in_flight: set = set()
        accepted: list[AcceptedSend] = []  # taken by the provider, not yet recorded
        flushed = time.monotonic()
        exhausted = False
        while True:
            # One claim ahead: while the threads send, the next few are already claimed, so
            # a thread that finishes starts its next request at once. Claims are committed; no
            # connection is held while sending.
            if not exhausted and len(ready) < threads:
                work = _prepare(rt, batch, limit=claim)
                exhausted = not work
                ready.extend(work)
            while ready and len(in_flight) < threads:
                in_flight.add(pool.submit(send_one, rt, active, policy, *ready.popleft()))
            if not in_flight:
                if accepted:
                    record_accepted(rt, accepted)
                return tally
            done, in_flight = wait(in_flight, timeout=RECORD_EVERY_SECONDS,
                                   return_when=FIRST_COMPLETED)
            for result in (future.result() for future in done):
                if isinstance(result, AcceptedSend):
                    accepted.append(result)
                tally["accepted" if isinstance(result, AcceptedSend) else result] += 1
            if accepted and (len(accepted) >= threads or not done
                             or time.monotonic() - flushed >= RECORD_EVERY_SECONDS):
                record_accepted(rt, accepted)
                accepted, flushed = [], time.monotonic()


def send_one(rt: Runtime, active: ActiveActions, policy: RetryPolicy, out: Outgoing,
             channel_name: str, action_id: int, claimed: float) -> str:
    channel = channels.get(channel_name)
    request = channel.request(out, rt.urls, rt.config)
    needs_active = out.purpose in deliveries.WHILE_ACTIVE
    renew_after = rt.config.stale_sending_seconds / 4

    def still_wanted() -> bool:
        if needs_active and action_id not in active:
            return False
        if time.monotonic() - claimed > renew_after:
            with rt.transaction() as db:
                return deliveries.still_mine(db, out.delivery_id, out.attempt)
        return True

    result = rt.provider.send(request, still_wanted)
    if isinstance(result, outcomes.Accepted):
        return AcceptedSend(out, channel_name, result.sid)  # recorded with others, by the caller
    return record(rt, policy, out, channel_name, result)


@dataclass(frozen=True)
class AcceptedSend:
    out: Outgoing
    channel: str
    sid: str


def record_accepted(rt: Runtime, sends: list[AcceptedSend]) -> None:
    """What the provider took, in one transaction for several sends. Should the worker die
    before this commit, the deliveries stay SENDING and verification finds them at the provider
    by number, so nobody is sent the alert twice."""
    with rt.transaction() as db:
        deliveries.accepted_many(db, [(s.out.delivery_id, s.out.attempt, s.sid) for s in sends])
    for s in sends:
        log.info("send.accepted delivery=%s attempt=%s channel=%s to=%s detail=%s",
                 s.out.delivery_id, s.out.attempt, s.channel, mask(s.out.phone), s.sid)


def record(rt: Runtime, policy: RetryPolicy, out: Outgoing, channel: str,
           result: outcomes.Result) -> str:
    """Store what the provider said (all but an acceptance), and enqueue what comes next
    (after the commit)."""
    follow_up = None
    with rt.transaction() as db:
        match result:  # Accepted is recorded in bulk: record_accepted
            case outcomes.NotWanted():
                deliveries.cancel_claimed(db, out.delivery_id, out.attempt)
                outcome = "cancelled"  # the action closed while this waited for its slot
            case outcomes.Temporary(code, message):
                delay = policy.after_temporary(out.attempt)
                if delay is None:
                    deliveries.fail(db, out.delivery_id, out.attempt, code, message)
                    follow_up = _fallback(rt, db, out.delivery_id)
                    outcome = "failed"
                else:
                    key = rt.jobs.retry_key(out.delivery_id, out.attempt)
                    deliveries.schedule_retry(db, out.delivery_id, out.attempt, delay, key, code,
                                              message)
                    follow_up = lambda: rt.jobs.send_later(key, delay)  # noqa: E731
                    outcome = "retry"
            case outcomes.NotSent(reason):
                # Nothing left us: back to waiting without using up an attempt. Its job is
                # enqueued when Redis answers again (here, or by reconciliation).
                key = rt.jobs.retry_key(out.delivery_id, out.attempt)
                deliveries.schedule_retry(db, out.delivery_id, out.attempt, NOT_SENT_DELAY,
                                          key, "not-sent", reason, uncount=True)
                follow_up = lambda: rt.jobs.send_later(key, NOT_SENT_DELAY)  # noqa: E731
                outcome = "not_sent"
            case outcomes.Permanent(code, message):
                deliveries.fail(db, out.delivery_id, out.attempt, code, message)
                follow_up = _fallback(rt, db, out.delivery_id)
                outcome = "failed"
            case outcomes.Unknown():
                # Left SENDING: a callback settles it, or the provider's records do.
                follow_up = lambda: rt.jobs.verify(  # noqa: E731
                    out.delivery_id, out.attempt, policy.verify_after())
                outcome = "unknown"
    if follow_up:
        try:
            follow_up()
        except RedisError as exc:  # the row is safe in the database; reconciliation requeues it
            log.warning("send.enqueue_failed delivery=%s error=%s", out.delivery_id,
                        type(exc).__name__)
    level = logging.INFO if outcome in ("accepted", "cancelled") else logging.WARNING
    log.log(level, "send.%s delivery=%s attempt=%s channel=%s to=%s detail=%s", outcome,
            out.delivery_id, out.attempt, channel, mask(out.phone), _detail(result))
    return outcome


def _fallback(rt: Runtime, db, delivery_id: int):
    """A group message whose WhatsApp failed for good goes by SMS (deliveries.create_fallback):
    what to enqueue after the commit, or None."""
    batch = deliveries.create_fallback(db, delivery_id, rt.jobs.batch_key)
    if batch is None:
        return None
    log.info("send.fallback delivery=%s batch=%s", delivery_id, batch)
    return lambda: rt.jobs.send([batch])


def _detail(result: outcomes.Result) -> str:
    match result:  # an acceptance is logged by record_accepted
        case outcomes.Temporary(code) | outcomes.Permanent(code):
            return code
        case outcomes.Unknown(reason) | outcomes.NotSent(reason):
            return reason
    return "-"
