"""Tip-line recordings: stored from the provider's recording status callback (once, however often
it is replayed and in whichever order it meets the <Record> action), streamed to the console
through the app with the provider's credentials, and purged after RECORDING_RETENTION_DAYS."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

import requests
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.models import Recording, Tip, utcnow
from gateway.models import tip as tip_kinds
from gateway.runtime import Runtime
from gateway.security import trusted_media

log = logging.getLogger("gateway.recordings")
CHUNK = 64 * 1024


def _seconds(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 7 else None


def _attach(recording: Recording, tip: Tip) -> None:
    recording.tip_id = tip.id
    recording.action_id = recording.action_id or tip.action_id
    if recording.url:
        tip.recording_url = recording.url
    if recording.duration_s is not None:
        tip.duration_s = recording.duration_s


def store(db: Session, form: Mapping[str, str], action_id: int | None) -> int | None:
    """Save what a recordingStatusCallback says. Returns the new recording's id, or None when it
    was known already (a replay updates its status and nothing else) or is not a recording."""
    sid = (form.get("RecordingSid") or "")[:40]
    if not sid:
        return None
    url = form.get("RecordingUrl") if trusted_media(form.get("RecordingUrl")) else None
    status = (form.get("RecordingStatus") or "completed")[:12]
    duration = _seconds(form.get("RecordingDuration"))
    known = db.scalar(select(Recording).where(Recording.sid == sid))
    if known is not None:
        known.status = status
        return None
    call_sid = (form.get("CallSid") or "")[:40] or None
    recording = Recording(sid=sid, call_sid=call_sid, url=url, duration_s=duration, status=status,
                          action_id=action_id)
    try:
        with db.begin_nested():
            db.add(recording)
    except IntegrityError:  # the same callback, replayed while we were storing it
        return None
    # The <Record> action saves the tip under the recording's sid; it may not have come yet.
    tip = db.scalar(select(Tip).where(Tip.provider_sid == sid))
    if tip is not None:
        _attach(recording, tip)
    return recording.id


def link(db: Session, sid: str) -> None:
    """The <Record> action saved the tip after the status callback stored the recording."""
    recording = db.scalar(select(Recording).where(Recording.sid == sid))
    tip = db.scalar(select(Tip).where(Tip.provider_sid == sid))
    if recording is not None and tip is not None and recording.tip_id is None:
        _attach(recording, tip)


def for_tip(db: Session, tip: Tip) -> Recording | None:
    return db.scalar(select(Recording).where(
        or_(Recording.tip_id == tip.id, Recording.sid == tip.provider_sid)).limit(1))


def tips_with_media(db: Session, tips: list[Tip]) -> set[int]:
    """Which of `tips` have a recording to play, in one query."""
    voiced = {t.provider_sid: t.id for t in tips if t.kind == tip_kinds.RECORDING}
    if not voiced:
        return set()
    found = {t.id for t in tips if trusted_media(t.recording_url)}
    rows = db.execute(select(Recording.tip_id, Recording.sid, Recording.url).where(or_(
        Recording.tip_id.in_(voiced.values()), Recording.sid.in_(voiced))))
    return found | {tip_id or voiced.get(sid) for tip_id, sid, url in rows if trusted_media(url)}


def media_url(db: Session, tip: Tip) -> str | None:
    recording = for_tip(db, tip)
    url = recording.url if recording is not None and recording.url else tip.recording_url
    return url if trusted_media(url) else None


def open_media(rt: Runtime, url: str) -> requests.Response:
    """The provider's media, with its credentials (Twilio can require HTTP auth on media)."""
    config = rt.config
    return requests.get(url, auth=(config.twilio_account_sid, config.twilio_auth_token),
                        stream=True, timeout=config.twilio_timeout_seconds)


def chunks(response: requests.Response) -> Iterator[bytes]:
    try:
        yield from response.iter_content(CHUNK)
    finally:
        response.close()


def purge(rt: Runtime, now: datetime | None = None) -> int:
    """Delete recordings older than the retention, at the provider and here; the tip stays,
    without its recording. A recording the provider could not delete now is tried again on the
    next run. Returns how many were deleted."""
    cutoff = (now or utcnow()) - timedelta(days=rt.config.recording_retention_days)
    with rt.sessions() as db:
        old = list(db.execute(select(Recording.id, Recording.sid).where(Recording.created_at < cutoff)))
        # Tips whose status callback never came still point at media of their own.
        orphans = list(db.scalars(select(Tip.provider_sid).where(
            Tip.kind == tip_kinds.RECORDING, Tip.recording_url.is_not(None),
            Tip.created_at < cutoff)))
    sids = {sid for _, sid in old} | set(orphans)
    deleted = [sid for sid in sorted(sids) if rt.provider.delete_recording(sid)]
    if deleted:
        with rt.transaction() as db:
            db.execute(update(Tip).where(Tip.provider_sid.in_(deleted))
                       .values(recording_url=None))
            gone = select(Recording.tip_id).where(Recording.sid.in_(deleted))
            db.execute(update(Tip).where(Tip.id.in_(gone)).values(recording_url=None))
            db.execute(Recording.__table__.delete().where(Recording.sid.in_(deleted)))
    log.info("recordings.purged deleted=%s kept_for_retry=%s", len(deleted), len(sids) - len(deleted))
    return len(deleted)
