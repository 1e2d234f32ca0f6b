"""Proving a phone number with a texted code: self-service registration, municipality imports
with --verify, signing in to the participant pages and changing one's number.

- The code is six digits, made by the job that texts it (worker/codes.py), so it exists only
  in that SMS: the database keeps an HMAC keyed with SECRET_KEY (a plain hash of six digits
  is reversed in a millisecond), Redis never sees it.
- It expires after CODE_MINUTES (a day for an imported participant, who did not ask for it)
  and allows MAX_TRIES wrong guesses; each try is committed before the answer, so parallel
  guesses are counted too.
- Sending codes costs money and can be abused to pump SMS: `allow_code` limits them per number,
  per client address and in all (CODES_PER_* in the configuration)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import timedelta

from rq import Retry
from sqlalchemy import update
from sqlalchemy.orm import Session

from gateway.errors import ApiError
from gateway.limits import Counters
from gateway.models import Participant, Registration, utcnow
from gateway.models import registration as kinds
from gateway.phones import mask
from gateway.queues import DEFAULT
from gateway.service import participants

log = logging.getLogger("gateway.registrations")

CODE_DIGITS = 6
CODE_MINUTES = 10
IMPORT_CODE_MINUTES = 24 * 60
MAX_TRIES = 5
HOUR = 3600


def lifetime(purpose: str) -> timedelta:
    return timedelta(minutes=IMPORT_CODE_MINUTES if purpose == kinds.IMPORT else CODE_MINUTES)


def code_hash(secret: str, registration_id: int, code: str) -> str:
    if not secret:
        raise RuntimeError("SECRET_KEY is needed to keep verification codes")
    message = f"{registration_id}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def allow_code(limits: Counters, config, phone: str, client: str | None) -> None:
    """Count one code to send; 429 naming what is exhausted. Checked in this order so that a
    refusal for one number does not use up the address's or everyone's allowance."""
    if not limits.allow(f"codes-number:{phone}", config.codes_per_number_hour, HOUR):
        log.warning("codes.limited scope=number to=%s", mask(phone))
        raise ApiError(429, "phone", "too many codes were sent to this number; try again in "
                                     "an hour")
    if client and not limits.allow(f"codes-address:{client}", config.codes_per_address_hour,
                                   HOUR):
        log.warning("codes.limited scope=address")
        raise ApiError(429, None, "too many codes were requested from your address; try again "
                                  "later")
    if not limits.allow("codes-all", config.codes_per_hour, HOUR):
        log.warning("codes.limited scope=all")
        raise ApiError(429, None, "too many codes are being requested right now; try again "
                                  "later")


def start(db: Session, phone: str, purpose: str, participant_id: int | None = None,
          body: dict | None = None) -> Registration:
    registration = Registration(phone=phone, purpose=purpose, participant_id=participant_id,
                                body=body, tries=0)
    db.add(registration)
    db.flush()
    return registration


def check(rt, registration_id: int, code) -> Registration:
    """Count one try and compare the code; the try is committed whatever the answer. Returns
    the registration when the code is right (and not yet used)."""
    if not isinstance(code, str) or not code.isascii() or not code.isdigit() \
            or len(code) != CODE_DIGITS:
        raise ApiError(422, "code", f"must be the {CODE_DIGITS} digits texted to you")
    now = utcnow()
    with rt.transaction() as db:
        registration = db.get(Registration, registration_id)
        if registration is None:
            raise ApiError(404, "registration_id", "no such registration")
        if registration.verified_at is not None:
            raise ApiError(409, "code", "this code has been used already")
        if registration.code_hash is None:
            raise ApiError(409, "code", "the code has not been sent yet; wait a moment")
        if registration.expires_at <= now:
            raise ApiError(410, "code", "the code has expired; ask for a new one")
        stored, tries = registration.code_hash, registration.tries + 1
        counted = db.execute(
            update(Registration).where(Registration.id == registration_id,
                                       Registration.tries < MAX_TRIES)
            .values(tries=Registration.tries + 1)).rowcount
    if not counted:
        raise ApiError(429, "code", "too many wrong codes; ask for a new one")
    if not hmac.compare_digest(stored, code_hash(rt.config.secret_key, registration_id, code)):
        left = MAX_TRIES - tries
        raise ApiError(422, "code", f"wrong code; {left} {'try' if left == 1 else 'tries'} left"
                       if left else "wrong code; ask for a new one")
    return registration


def complete(db: Session, registration_id: int) -> Participant:
    """Apply what a right code proves, once: a second request with the same code finds the
    registration used (the conditional update) and changes nothing."""
    now = utcnow()
    registration = db.get(Registration, registration_id)
    if registration is None:
        raise ApiError(404, "registration_id", "no such registration")
    purpose, phone, participant_id, body = (registration.purpose, registration.phone,
                                            registration.participant_id, registration.body)
    used = db.execute(update(Registration).where(Registration.id == registration_id,
                                                  Registration.verified_at.is_(None))
                      .values(verified_at=now, body=None, code_hash=None)).rowcount
    if not used:
        raise ApiError(409, "code", "this code has been used already")
    if purpose == kinds.REGISTER:
        return _register(db, phone, body)
    participant = db.get(Participant, participant_id) if participant_id else None
    if participant is None:
        raise ApiError(404, "registration_id", "the participant no longer exists")
    if purpose == kinds.IMPORT and participant.verified_at is None:
        participant.verified_at = now
    elif purpose == kinds.CHANGE_PHONE:
        taken = participants.by_phone(db, phone)
        if taken is not None and taken.id != participant.id:
            raise ApiError(409, "phone", "another participant has this number")
        participant.phone = phone
    db.flush()
    return participant


def _register(db: Session, phone: str, body: dict) -> Participant:
    data = participants.ParticipantIn.from_json(body)
    existing = participants.by_phone(db, phone)
    if existing is None:
        return participants.create(db, data, verified=True)
    # They proved the number: their new choices replace the old, and they want alerts again.
    participants.apply(db, existing, data)
    existing.verified_at = existing.verified_at or utcnow()
    existing.active = True
    db.flush()
    return existing


# The code is made and texted by a job (worker/codes.py): commit first, then enqueue.
SEND_RETRY = Retry(max=3, interval=[5, 30, 60])


def enqueue_code(rt, registration_id: int) -> None:
    rt.jobs.queues[DEFAULT].enqueue("worker.codes.send_code", registration_id, retry=SEND_RETRY)
