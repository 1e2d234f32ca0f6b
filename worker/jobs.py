"""RQ job entry points. Each takes ids only, re-reads its rows, returns quietly when there is
nothing to do, and is safe to run twice: RQ may deliver a job again after a crash."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from gateway import areas, runtime
from gateway.dispatch import deliveries, selection
from gateway.dispatch import groups as group_reach
from gateway.models import Action, Delivery, utcnow
from gateway.models import delivery as state
from gateway.models.action import ACTIVE, CLOSED
from worker import sending, verify

log = logging.getLogger("worker.jobs")

GROUP_FOLLOWUP = {state.UPDATE: state.GROUP_UPDATE, state.OUTCOME: state.GROUP_OUTCOME}
# Outcomes are re-checked for this long after a close, to catch calls answered at closing time.
OUTCOME_WINDOW = timedelta(hours=1)


def fan_out(action_id: int, area_index: int = 0) -> None:
    """Alert everyone inside one of the action's areas (0: the first; more after widening)."""
    rt = runtime.current()
    with rt.transaction() as session:
        action = session.get(Action, action_id)
        if action is None or action.status != ACTIVE or area_index >= len(action.areas):
            log.info("fanout.skip action=%s area=%s", action_id, area_index)
            return
        area = areas.load(action.areas[area_index])
        created = selection.insert_alerts(
            session, action_id, area,
            rt.jobs.batch_prefix(action_id, state.ALERT, 0, area_index), rt.config.send_batch_size,
            utcnow())
        administrators = 0
        if action.groups:  # Heterdaadkracht: the groups this area overlaps, newly reached ones
            reached = group_reach.reached(session, area, exclude_action=action_id,
                                          table=rt.config.geocoder_table or None)
            administrators = deliveries.insert_group_alerts(
                session, action_id, reached,
                rt.jobs.batch_key(action_id, state.GROUP_ALERT, 0, area_index),
                rt.config.send_batch_size)
    queued = _enqueue_waiting(rt, action_id)
    log.info("fanout.done action=%s area=%s created=%s administrators=%s batches=%s", action_id,
             area_index, created, administrators, queued)


def followups(action_id: int, purpose: str, round_: int) -> None:
    """An update (round = its id) or the outcome, to everyone the alert reached."""
    rt = runtime.current()
    with rt.transaction() as session:
        action = session.get(Action, action_id)
        if action is None:
            return
        if purpose == state.OUTCOME:
            if action.status != CLOSED:
                return
            cancelled = deliveries.cancel_waiting(session, action_id)
        elif action.status != ACTIVE:
            return
        else:
            cancelled = 0
        created = deliveries.create_followups(
            session, action_id, purpose, round_,
            rt.jobs.batch_key(action_id, purpose, round_, 0), rt.config.send_batch_size)
        group_purpose = GROUP_FOLLOWUP[purpose]  # the same to the groups' administrators
        created += deliveries.create_followups(
            session, action_id, group_purpose, round_,
            rt.jobs.batch_key(action_id, group_purpose, round_, 0), rt.config.send_batch_size)
    _enqueue_waiting(rt, action_id)
    log.info("followups.done action=%s purpose=%s round=%s created=%s cancelled=%s",
             action_id, purpose, round_, created, cancelled)


def send_batch(batch: str) -> dict[str, int]:
    return dict(sending.send_batch(runtime.current(), batch))


def outcome_for(delivery_id: int) -> None:
    """An alert that reached its person after the action was closed still gets the outcome."""
    rt = runtime.current()
    with rt.transaction() as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None:
            return
        purpose = state.GROUP_OUTCOME if delivery.purpose in state.GROUP_ALERTS else state.OUTCOME
        deliveries.create_followups(
            session, delivery.action_id, purpose, 0,
            rt.jobs.batch_key(delivery.action_id, purpose, 0, f"d{delivery_id}"),
            rt.config.send_batch_size, alert_ids=[delivery_id])
    _enqueue_waiting(rt, delivery.action_id)


def verify_sending(delivery_id: int, attempt: int, stale_only: bool = False) -> str:
    return verify.verify_sending(runtime.current(), delivery_id, attempt, stale_only)


def reconcile() -> dict[str, int]:
    """The sweep that makes Redis disposable: whatever waits in the database but has no job in
    Redis to send it is enqueued again. It asks Redis about batch keys, one pipeline, so it costs
    what was lost, not what the actions hold."""
    rt = runtime.current()
    now = utcnow()
    with rt.transaction() as session:
        recently_closed = list(session.scalars(select(Action.id).where(
            Action.status == CLOSED, Action.closed_at >= now - OUTCOME_WINDOW)))
        for action_id in recently_closed:  # a close job lost with Redis, or a late answer
            for purpose in (state.OUTCOME, state.GROUP_OUTCOME):
                deliveries.create_followups(
                    session, action_id, purpose, 0,
                    rt.jobs.batch_key(action_id, purpose, 0, "r"), rt.config.send_batch_size)
            deliveries.cancel_waiting(session, action_id)
        stale = deliveries.stale_sending(
            session, now - timedelta(seconds=rt.config.stale_sending_seconds))
    with rt.sessions() as session:
        waiting = deliveries.waiting_batches(session)
    held = rt.jobs.held(waiting) if waiting else set()
    lost = [b for b in waiting if b not in held]
    rt.jobs.send(lost)
    verifying = rt.jobs.held(rt.jobs.verify_key(i, a) for i, a in stale)
    unverified = [(i, a) for i, a in stale if rt.jobs.verify_key(i, a) not in verifying]
    for delivery_id, attempt in unverified:
        rt.jobs.verify(delivery_id, attempt, timedelta(0), stale_only=True)
    log.info("reconcile.done waiting_batches=%s requeued=%s stale=%s", len(waiting), len(lost),
             len(unverified))
    return {"requeued": len(lost), "stale": len(unverified)}


def _enqueue_waiting(rt, action_id: int) -> int:
    """Commit first, then enqueue: a job never looks for a row that is not there yet. Batches
    whose job is already queued (a retried fan-out) are not queued again."""
    with rt.sessions() as session:
        batches = deliveries.waiting_batches(session, action_id)
    held = rt.jobs.held(batches) if batches else set()
    todo = [b for b in batches if b not in held]
    rt.jobs.send(todo)
    return len(todo)



def transcribe_recording(recording_id: int) -> None:
    """Only enqueued when a transcriber is configured (TRANSCRIBER)."""
    from gateway import recordings, transcription
    from gateway.models import Recording

    rt = runtime.current()
    transcriber = transcription.configured(rt.config)
    with rt.sessions() as session:
        recording = session.get(Recording, recording_id)
        url = recording.url if recording is not None and not recording.transcript else None
        language = "nl"
    if transcriber is None or url is None:
        return
    media = recordings.open_media(rt, url)
    media.raise_for_status()
    words = transcriber.transcribe(b"".join(recordings.chunks(media)), language)
    with rt.transaction() as session:
        recording = session.get(Recording, recording_id)
        if recording is not None:
            recording.transcript = words
    log.info("recording.transcribed recording=%s words=%s", recording_id,
             len(words.split()) if words else 0)


def purge_recordings() -> int:
    """Enqueued once a day by a worker (worker/main.py); `burgernet purge-recordings` does the
    same by hand."""
    from gateway import recordings

    return recordings.purge(runtime.current())
