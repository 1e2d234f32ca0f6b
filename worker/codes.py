"""Texting verification codes. The code is made here, its HMAC stored, and the SMS sent through
the provider gateway (paced in the SMS bucket with the alerts), so the code itself is never in
the database or in Redis."""

from __future__ import annotations

import logging
import secrets

from callflows import texts
from callflows.segments import measure
from gateway import runtime
from gateway.channels import ProviderRequest
from gateway.models import Participant, Registration, utcnow
from gateway.models import registration as kinds
from gateway.phones import mask
from gateway.provider import gateway as outcomes
from gateway.service import registrations

log = logging.getLogger("worker.codes")

PAGES_PREFIX = "/deelnemen"


class CodeNotSent(Exception):
    """A temporary failure: RQ retries the job, which makes a fresh code."""


def _language(db, registration: Registration) -> str:
    if registration.body:
        return registration.body.get("language", "nl")
    participant = db.get(Participant, registration.participant_id) \
        if registration.participant_id else None
    return participant.language if participant else "nl"


def send_code(registration_id: int) -> str:
    rt = runtime.current()
    code = f"{secrets.randbelow(10 ** registrations.CODE_DIGITS):0{registrations.CODE_DIGITS}d}"
    with rt.transaction() as db:
        registration = db.get(Registration, registration_id)
        if registration is None or registration.verified_at is not None:
            return "gone"
        if registration.purpose == kinds.SIGN_IN and registration.participant_id is None:
            # A sign-in for a number nobody registered: the page looks the same, but we text
            # nobody who did not sign up (gateway/participant_pages.py).
            return "not-a-participant"
        registration.code_hash = registrations.code_hash(rt.config.secret_key, registration_id,
                                                         code)
        registration.expires_at = utcnow() + registrations.lifetime(registration.purpose)
        registration.tries = 0
        phone, purpose = registration.phone, registration.purpose
        language = _language(db, registration)
    if purpose == kinds.IMPORT:
        url = f"{rt.config.public_base_url}{PAGES_PREFIX}/bevestigen/{registration_id}"
        body = texts.text("code_import_sms", language, code=code, url=url)
    else:
        body = texts.text("code_sms", language, code=code,
                          minutes=str(registrations.CODE_MINUTES))
    request = ProviderRequest("messages", {"to": phone, "from_": rt.config.sms_from,
                                           "body": body},
                              "sms_segments", measure(body).count)
    result = rt.provider.send(request)
    log.info("code.%s registration=%s purpose=%s to=%s", type(result).__name__.lower(),
             registration_id, purpose, mask(phone))
    if isinstance(result, outcomes.Temporary | outcomes.NotSent):
        raise CodeNotSent(type(result).__name__)
    return type(result).__name__.lower()
